"""Experiment data: datastores (where files are kept) and versioned datasets built on them.

Example:
    >>> import tempfile, pathlib
    >>> from mlyard import Workspace
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> ws = Workspace.open(tmp / "yard")
    >>> _ = (tmp / "feature.csv").write_text("1.0,2.0\\n3.0,4.0\\n")
    >>> store = ws.get_default_datastore()
    >>> _ = store.upload_files(files=[tmp / "feature.csv"], target_path="exp/")
    >>> ds = Dataset.Tabular.from_delimited_files(path=[(store, "exp/feature.csv")])
    >>> list(ds.to_pandas_dataframe().columns)
    ['Column1', 'Column2']
"""

from mlyard.data.dataset import Dataset
from mlyard.data.datastore import Datastore
from mlyard.data.files import FileDataset
from mlyard.data.tabular import TabularDataset

__all__ = ["Dataset", "Datastore", "FileDataset", "TabularDataset"]
