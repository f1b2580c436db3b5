"""Deploy, wait, score, inspect, re-attach, list, replace and delete real services."""

from __future__ import annotations

import json
import socket

import httpx
import numpy as np
import psutil
import pytest
from openapi_spec_validator import validate
from pytest import approx

from mlyard.errors import (
    AlreadyExistsError,
    DeploymentFailedError,
    InvalidInputError,
    NotFoundError,
)
from mlyard.processes import alive as process_alive
from mlyard.serving import DeploymentConfig, Webservice, deploy
from tests.live_server import backing


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_deploy_wait_and_score_like_the_reference_scenario(services, diabetes_record, diabetes):
    X, _, model = diabetes
    service = services("diabetes-service", [diabetes_record], overwrite=True)
    assert service.scoring_uri.startswith("http://127.0.0.1:")
    service.wait_for_deployment()
    answer = service.run(json.dumps({"data": X[0:2].values.tolist(), "method": "predict"}))
    assert answer == {"predict": approx(model.predict(X[0:2]).tolist())}
    assert service.state == "Healthy"


def test_wait_prints_every_stage_in_order(services, diabetes_record, capsys):
    service = services("staged", [diabetes_record])
    service.wait_for_deployment(show_output=True)
    out = capsys.readouterr().out
    stages = [
        "resolving model",
        "verifying files",
        "starting server",
        "loading model",
        "listening",
        "warm-up request",
        "health check",
        "ready",
    ]
    positions = [out.index(stage) for stage in stages]
    assert positions == sorted(positions)
    assert f"ready             {service.scoring_uri}" in out
    assert " s  resolving model" in out  # elapsed time on every line


def test_rows_as_lists_and_as_records_give_the_models_answers(diabetes_service, diabetes):
    X, _, model = diabetes
    expected = approx(model.predict(X[0:5]).tolist())
    by_list = diabetes_service.run({"data": X[0:5].values.tolist()})
    by_record = diabetes_service.run({"data": X[0:5].to_dict(orient="records")})
    assert list(by_list) == list(by_record) == ["predict"]  # Ridge has no predict_proba
    assert by_list["predict"] == expected
    assert by_record["predict"] == expected


def test_classifier_defaults_to_predict_proba_and_offers_predict(services, iris_record, iris):
    X, _, model = iris
    service = services("iris-service", [iris_record])
    service.wait_for_deployment()
    rows = X.iloc[[0, 60, 120]]
    default = service.run({"data": rows.values.tolist()})
    assert list(default) == ["predict_proba"]
    assert np.allclose(default["predict_proba"], model.predict_proba(rows))
    labels = service.run({"data": rows.to_dict(orient="records"), "method": "predict"})
    assert labels == {"predict": model.predict(rows).tolist()}
    log_proba = service.run({"data": rows.values.tolist(), "method": "predict_log_proba"})
    assert np.allclose(log_proba["predict_log_proba"], model.predict_log_proba(rows))


def test_signature_from_a_dataset_with_generic_column_names(services, register_model, diabetes):
    # The registry infers signatures from datasets whose columns are Column1..Column10.
    X, _, model = diabetes
    generic = X.set_axis([f"Column{i}" for i in range(1, 11)], axis=1)
    record = register_model("generic", model, generic)
    service = services("generic-columns", [record])
    service.wait_for_deployment()
    expected = approx(model.predict(X[0:3]).tolist())
    assert service.run({"data": X[0:3].values.tolist()})["predict"] == expected
    records = generic[0:3].to_dict(orient="records")
    assert service.run({"data": records, "method": "predict"})["predict"] == expected


def test_a_model_without_signature_is_served(services, register_model, diabetes):
    X, _, model = diabetes
    record = register_model("unsigned", model, None)
    service = services("unsigned", [record])
    service.wait_for_deployment()
    assert service.run({"data": X[0:2].values.tolist()})["predict"] == approx(
        model.predict(X[0:2]).tolist()
    )


def test_health_swagger_and_root(diabetes_service):
    health = httpx.get(diabetes_service.health_uri).json()
    assert health["status"] == "Healthy"
    assert health["models"][0]["name"] == "diabetes"
    assert health["models"][0]["methods"] == ["predict"]
    assert [c["name"] for c in health["models"][0]["inputs"]][:3] == ["age", "sex", "bmi"]

    doc = httpx.get(diabetes_service.swagger_uri).json()
    validate(doc)  # a valid OpenAPI document
    request = doc["components"]["schemas"]["ScoreRequest"]
    assert request["required"] == ["data"]
    row = doc["components"]["schemas"]["diabetes_1_row"]
    assert row["minItems"] == row["maxItems"] == 10
    record = doc["components"]["schemas"]["diabetes_1_record"]
    assert record["required"][:2] == ["age", "sex"]
    assert "/score" in doc["paths"] and "post" in doc["paths"]["/score"]

    assert httpx.get(diabetes_service.scoring_uri.removesuffix("score")).status_code == 200


def test_logs_tell_what_the_server_did(diabetes_service):
    logs = diabetes_service.get_logs()
    assert "loading model diabetes:1" in logs
    assert "serving diabetes-service on http://127.0.0.1:" in logs
    assert diabetes_service.get_logs(num_lines=1) == logs.strip().splitlines()[-1]


def test_reattach_by_name_and_list(ws, diabetes_service, diabetes):
    X, _, model = diabetes
    again = Webservice(ws, "diabetes-service")
    assert again.scoring_uri == diabetes_service.scoring_uri
    assert again.models == ("diabetes:1",)
    assert again.run({"data": X[0:1].values.tolist()}) == {
        "predict": approx(model.predict(X[0:1]).tolist())
    }
    assert [s.name for s in Webservice.list(ws)] == ["diabetes-service"]
    assert Webservice.list(ws)[0].pid == again.pid
    with pytest.raises(NotFoundError, match="no service named 'nope'"):
        Webservice(ws, "nope")


def test_delete_stops_the_process_closes_the_port_and_forgets_it(ws, services, diabetes_record):
    service = services("short-lived", [diabetes_record])
    service.wait_for_deployment()
    record = ws.store.get_deployment("short-lived")
    folder = backing(ws).deployer.folder("short-lived").path
    pid = backing(ws).deployer.pid("short-lived")  # the server's host runs a remote one
    assert process_alive(pid) and _port_open(record.port)
    service.delete()
    assert not process_alive(pid)
    assert not _port_open(record.port)
    assert not folder.exists()
    with pytest.raises(NotFoundError):
        Webservice(ws, "short-lived")


def test_overwrite_replaces_the_service_on_the_same_port(ws, services, diabetes, register_model):
    from sklearn.linear_model import Ridge

    X, y, first_model = diabetes
    second_model = Ridge(alpha=10.0).fit(X, y)
    first = services("replaced", [register_model("d", first_model, X)])
    first.wait_for_deployment()
    old_pid = backing(ws).deployer.pid("replaced")

    with pytest.raises(AlreadyExistsError, match="overwrite=True"):
        deploy(ws, "replaced", [register_model("d", second_model, X)])
    assert first.run({"data": X[0:1].values.tolist()})["predict"] == approx(
        first_model.predict(X[0:1]).tolist()
    )  # refused: the old service is untouched

    second = services("replaced", ["d:2"], overwrite=True)
    second.wait_for_deployment()
    assert not process_alive(old_pid)
    assert second.port == first.port
    assert second.models == ("d:2",)
    answer = second.run({"data": X[0:1].values.tolist()})["predict"]
    assert answer == approx(second_model.predict(X[0:1]).tolist())


def test_two_models_in_one_service(services, diabetes_record, iris_record, diabetes, iris):
    Xd, _, ridge = diabetes
    Xi, _, logistic = iris
    service = services("two-models", [diabetes_record, iris_record])
    service.wait_for_deployment()
    assert service.run({"data": Xd[0:1].values.tolist()}) == {
        "predict": approx(ridge.predict(Xd[0:1]).tolist())
    }
    by_key = service.run({"data": Xi[0:1].values.tolist(), "model": "iris:1", "method": "predict"})
    by_name = service.run({"data": Xi[0:1].values.tolist(), "model": "iris", "method": "predict"})
    assert by_key == by_name == {"predict": logistic.predict(Xi[0:1]).tolist()}


def test_a_fixed_port_from_a_config_or_a_dict(services, diabetes_record):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = services("fixed", [diabetes_record], deployment_config={"port": port})
    service.wait_for_deployment()
    assert service.scoring_uri == f"http://127.0.0.1:{port}/score"
    config = DeploymentConfig(port=port)
    again = services("fixed", [diabetes_record], overwrite=True, deployment_config=config)
    again.wait_for_deployment()
    assert again.port == port


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "bad/name"}, "name"),
        ({"models": []}, "models"),
        ({"models": [42]}, "models[0]"),
        ({"models": ["diabetes:one"]}, "models[0]"),
        ({"deployment_config": {"prot": 80}}, "deployment_config.prot"),
        ({"deployment_config": {"port": 70000}}, "deployment_config.port"),
        ({"deployment_config": {"start": "thread"}}, "deployment_config.start"),
        ({"deployment_config": {"host": "my-laptop"}}, "deployment_config.host"),
        ({"deployment_config": "fast"}, "deployment_config"),
    ],
)
def test_bad_arguments_name_the_field(ws, diabetes_record, kwargs, field):
    args = {"name": "svc", "models": [diabetes_record], **kwargs}
    with pytest.raises(InvalidInputError) as err:
        deploy(ws, args.pop("name"), args.pop("models"), **args)
    assert err.value.field == field
    assert ws.store.list_deployments() == []


def test_an_unknown_model_version_is_not_found(ws, diabetes_record):
    with pytest.raises(NotFoundError, match="diabetes"):
        deploy(ws, "svc", ["diabetes:7"])
    assert ws.store.list_deployments() == []


def test_state_checks_the_process_not_only_the_record(ws, diabetes_service, wait_until):
    pid = backing(ws).deployer.pid("diabetes-service")
    assert diabetes_service.state == "Healthy"
    psutil.Process(pid).kill()
    wait_until(lambda: not process_alive(pid))
    assert diabetes_service.state == "Unhealthy"
    assert ws.store.get_deployment("diabetes-service").state == "Healthy"  # stored: stale
    with pytest.raises(DeploymentFailedError, match="its process has stopped.*services_up"):
        diabetes_service.wait_for_deployment()
    assert ws.store.get_deployment("diabetes-service").state == "Healthy"  # not rewritten


def test_the_public_surface():
    import mlyard
    import mlyard.serving

    assert mlyard.serving.__all__ == sorted(mlyard.serving.__all__)
    assert mlyard.serving.__all__ == ["DeploymentConfig", "Webservice", "deploy", "services_up"]
    assert mlyard.Webservice is Webservice
    assert mlyard.DeploymentConfig is DeploymentConfig
