"""The straightforward daily-refit SARIMA loop, as Géron's book writes it: a new statsmodels
ARIMA and a cold fit for every day 2019-03-01..2019-05-31, each on 2019-01-01 to the day
before. The comparison peer of benchmarks/arima_rolling.py.

    OPENBLAS_NUM_THREADS=1 python benchmarks/straightforward_arima.py CSV   # prints the MAE
"""

import sys

import pandas as pd
from statsmodels.tsa.arima.model import ARIMA

START, END, ORIGIN = "2019-03-01", "2019-05-31", "2019-01-01"


def load_rail(csv: str) -> pd.Series:
    df = pd.read_csv(csv, parse_dates=["service_date"])
    df.columns = ["date", "day_type", "bus", "rail", "total"]
    df = df.sort_values("date").set_index("date").drop("total", axis=1).drop_duplicates()
    return df["rail"].asfreq("D")


def rolling_forecasts(rail: pd.Series) -> pd.Series:
    days = pd.date_range(START, END)
    predictions = []
    for today in days:
        model = ARIMA(
            rail[ORIGIN : today - pd.Timedelta(days=1)],
            order=(1, 0, 0),
            seasonal_order=(0, 1, 1, 7),
        )
        predictions.append(model.fit().forecast().iloc[0])
    return pd.Series(predictions, index=days)


if __name__ == "__main__":
    rail = load_rail(sys.argv[1])
    print(f"MAE {(rolling_forecasts(rail) - rail[START:END]).abs().mean():.1f}")
