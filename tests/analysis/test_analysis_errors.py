"""Bad input gives one clear DataError/ConfigError naming the cause (issue 2, "Done when")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.data import validate_numeric
from gpla.analysis.lavaan import measurement_scales
from gpla.analysis.pca import PrincipalComponents
from gpla.analysis.reliability import cronbach_alpha
from gpla.errors import ConfigError, DataError


@pytest.fixture
def X() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    common = rng.standard_normal((60, 1))
    return pd.DataFrame(common + rng.standard_normal((60, 5)), columns=["a", "b", "c", "d", "e"])


def test_non_numeric_column_named_with_row_and_value(X: pd.DataFrame) -> None:
    X = X.astype(object)
    X.loc[7, "c"] = "n/a?"
    with pytest.raises(DataError, match=r"non-numeric values in column\(s\) c \(row 7: 'n/a\?'\)"):
        PrincipalComponents(2).fit(X)


def test_text_column_is_refused(X: pd.DataFrame) -> None:
    X["name"] = "gpt"
    with pytest.raises(DataError, match="name"):
        cronbach_alpha(X)


def test_constant_column(X: pd.DataFrame) -> None:
    X["d"] = 3.0
    with pytest.raises(DataError, match=r"constant column\(s\) d"):
        PrincipalComponents(2).fit(X)
    with pytest.raises(DataError, match=r"constant column\(s\) d"):
        cronbach_alpha(X)


def test_nan_refused_by_default_with_both_policies_explained(X: pd.DataFrame) -> None:
    X.iloc[[1, 2], 1] = np.nan
    X.iloc[5, 4] = np.nan
    with pytest.raises(DataError) as err:
        PrincipalComponents(2).fit(X)
    message = str(err.value)
    assert "b (2), e (1)" in message
    assert "missing='listwise' keeps the 57 of 60 complete rows" in message
    assert "missing='pairwise'" in message
    assert PrincipalComponents(2, missing="listwise").fit(X).n_obs_ == 57
    assert PrincipalComponents(2, missing="pairwise").fit(X).n_obs_ == 60


def test_listwise_leaving_too_few_rows(X: pd.DataFrame) -> None:
    X.iloc[1:, 0] = np.nan
    with pytest.raises(DataError, match="at least 3 rows"):
        validate_numeric(X, missing="listwise")


def test_fewer_rows_than_columns(X: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="4 rows for 5 columns"):
        PrincipalComponents(2).fit(X.iloc[:4])


def test_singular_correlation_names_the_dependent_columns(X: pd.DataFrame) -> None:
    X["total"] = X["a"] + X["b"]
    with pytest.raises(DataError, match="singular") as err:
        PrincipalComponents(2).fit(X)
    for column in ("a", "b", "total"):
        assert column in str(err.value)
    assert "c," not in str(err.value)


def test_infinite_values(X: pd.DataFrame) -> None:
    X.loc[3, "a"] = np.inf
    with pytest.raises(DataError, match=r"infinite values in column\(s\) a"):
        validate_numeric(X)


def test_duplicate_column_names(X: pd.DataFrame) -> None:
    X.columns = ["a", "b", "a", "d", "e"]
    with pytest.raises(DataError, match="duplicate column names a"):
        validate_numeric(X)


@pytest.mark.parametrize("bad", [0, 6, "many", 2.5, True])
def test_bad_number_of_factors(X: pd.DataFrame, bad: object) -> None:
    with pytest.raises(DataError, match="n_factors"):
        PrincipalComponents(bad).fit(X)  # type: ignore[arg-type]


def test_bad_rotation(X: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="rotation must be one of"):
        PrincipalComponents(2, rotation="quartimax").fit(X)  # type: ignore[arg-type]


def test_uncorrelated_data_retains_nothing() -> None:
    # exactly uncorrelated columns (orthogonalised after centring): every eigenvalue is 1, which random
    # data of this shape always beat at the first position
    raw = np.random.default_rng(5).standard_normal((400, 6))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))
    with pytest.raises(DataError, match="no component stands out"):
        PrincipalComponents("auto", n_iter=30).fit(pd.DataFrame(q, columns=list("abcdef")))


def test_single_item_scale(X: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="at least 2 column"):
        cronbach_alpha(X[["a"]])


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("A =~ -A1 + A2", "minus sign"),
        ("A =~ A2 + -1*A1", "minus sign"),
        ("A =~ A1 + start(-0.5)*A2", "minus sign"),
        ("A =~ A1 - A2", "minus sign"),
        ("A ~~ B", "no measurement statements"),
        ("A =~ A1 +\n", "incomplete"),
        ("A =~ A1 ++ A2", "stray"),
        ("A B =~ A1", "not a valid factor name"),
    ],
)
def test_lavaan_errors(model: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        measurement_scales(model)


def test_lavaan_scales_are_read_like_lavaan() -> None:
    text = """# Big Five
    A =~ A1 + 0.8*A2 + NA*A3   ! modifiers are dropped
    C =~ C1 + C2 +
         C3; N =~ N1 + N2
    A ~~ C
    A =~ A4
    D =~ age+income + 1e-3*rate + 2.5E+1*score   # '+' and '-' of an exponent are no operators
    """
    assert measurement_scales(text) == {
        "A": ["A1", "A2", "A3", "A4"],
        "C": ["C1", "C2", "C3"],
        "N": ["N1", "N2"],
        "D": ["age", "income", "rate", "score"],
    }
