"""Pure-Python tests of debt_relations/services: no Odoo, no database.

The addon's package imports Odoo, so the services package is imported on its
own, as ``services``, from the addon folder.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "debt_relations"))
