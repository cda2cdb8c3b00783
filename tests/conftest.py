import sys
from pathlib import Path

# The engine tests share small builders in tests/helpers.py.
sys.path.insert(0, str(Path(__file__).parent))
