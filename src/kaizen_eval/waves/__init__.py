"""Survey waves: reading, codebooks, the firm × wave panel, attrition, money, personal data.

Examples
--------
>>> import kaizen_eval as ke
>>> import pandas as pd
>>> panel = ke.load_waves({"baseline": pd.DataFrame({"firm_id": ["A"], "sales": [1.0]})})
>>> panel.waves
('baseline',)
"""

from kaizen_eval.waves.attrition import Attrition, operating
from kaizen_eval.waves.codebook import read_codebook
from kaizen_eval.waves.codebook_template import codebook_template
from kaizen_eval.waves.io import read_wave, write_table
from kaizen_eval.waves.load import load_waves
from kaizen_eval.waves.money import Adjustment, to_usd, trim, value_added, winsorize
from kaizen_eval.waves.panel import Panel, deidentify
from kaizen_eval.waves.pii import detect_pii, flagged_columns, refuse_pii
from kaizen_eval.waves.write import write_wave
from kaizen_eval.waves.xlsform import Choice, Form, Variable, read_xlsform

__all__: list[str] = [
    "Adjustment",
    "Attrition",
    "Choice",
    "Form",
    "Panel",
    "Variable",
    "codebook_template",
    "deidentify",
    "detect_pii",
    "flagged_columns",
    "load_waves",
    "operating",
    "read_codebook",
    "read_wave",
    "read_xlsform",
    "refuse_pii",
    "to_usd",
    "trim",
    "value_added",
    "winsorize",
    "write_table",
    "write_wave",
]
