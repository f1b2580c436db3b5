"""The reference scenario: data → experiments → best model → web service.

Run it with ``make demo`` or ``python examples/diabetes.py [WORKSPACE]``; it works in
the current folder (writing feature.csv, labels.csv and ./yard unless told otherwise).
"""

import json
import sys

import numpy as np
import sklearn
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error

from mlyard import Dataset, Experiment, Model, ResourceConfiguration, Workspace

ws = Workspace.open(sys.argv[1] if len(sys.argv) > 1 else "./yard")
X, y = load_diabetes(return_X_y=True, as_frame=True)
np.savetxt("feature.csv", X, delimiter=",")
np.savetxt("labels.csv", y, delimiter=",")

datastore = ws.get_default_datastore()
datastore.upload_files(
    files=["./feature.csv", "./labels.csv"], target_path="diabetes-experiment/", overwrite=True
)
feature_ds = Dataset.Tabular.from_delimited_files(
    path=[(datastore, "diabetes-experiment/feature.csv")]
)
label_ds = Dataset.Tabular.from_delimited_files(
    path=[(datastore, "diabetes-experiment/labels.csv")]
)

exp = Experiment(ws, "diabetes-experiment")
for alpha in [0.01, 0.1, 1.0]:
    with exp.start_run() as run:
        run.log("alpha", alpha)
        model = Ridge(alpha=alpha).fit(X, y)
        run.log("mse", mean_squared_error(y, model.predict(X)))
        run.save_model(model, "model")
best_run = exp.best_run("mse", mode="min")

model = Model.register(
    workspace=ws,
    model_name="diabetes-experiment-model",
    run=best_run,
    model_path="model",
    model_framework=Model.Framework.SCIKITLEARN,
    model_framework_version=sklearn.__version__,
    sample_input_dataset=feature_ds,
    sample_output_dataset=label_ds,
    resource_configuration=ResourceConfiguration(cpu=1, memory_in_gb=0.5),
    description="Ridge regression model to predict diabetes progression",
    tags={"area": "diabetes", "type": "regression"},
)
print(model.name, model.version)

service = Model.deploy(ws, "diabetes-service", [model], overwrite=True)
service.wait_for_deployment(show_output=True)
print(service.run(json.dumps({"data": X[0:2].values.tolist(), "method": "predict"})))
