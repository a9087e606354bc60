"""Small delivered waves, built by hand, shared by the waves tests."""

import pandas as pd
import pytest


@pytest.fixture
def baseline():
    return pd.DataFrame(
        {
            "firm_id": ["GH001", "GH002", "GH003", "GH004"],
            "status": ["interviewed"] * 4,
            "invited": [1, 0, 1, 0],
            "owner_name": ["Ama Mensah", "Kofi Boateng", "Efua Owusu", "Yaw Asante"],
            "owner_phone": ["0244123456", "0201112222", "+233 24 555 0000", "0277000111"],
            "sexe": ["F", "M", "F", "M"],
            "sales": [1200.0, 800.0, 1500.0, 400.0],
            "inputs": [700.0, 500.0, 900.0, 300.0],
        }
    )


@pytest.fixture
def followup():
    return pd.DataFrame(
        {
            "firm_id": ["GH001", "GH002", "GH003", "GH004"],
            "status": ["interviewed", "closed", "not_found", "interviewed"],
            "invited": [1, 0, 1, 0],
            "ventes": [1400.0, None, None, 450.0],
            "inputs": [800.0, None, None, 320.0],
        }
    )


@pytest.fixture
def codebook():
    return pd.DataFrame(
        {
            "wave": ["baseline", "followup"],
            "source": ["sexe", "ventes"],
            "name": ["female", "sales"],
            "recode": ['{"F": 1, "M": 0}', None],
        }
    )
