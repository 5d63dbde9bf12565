"""Scoring forecasts: metrics, rolling-origin backtests, leaderboards, k-step curves, ARIMA
order search and the long-term forecasting protocol."""
