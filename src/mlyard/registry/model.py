"""The model registry: a name, its numbered versions, their files, lineage and aliases."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.auth.identity import current_user
from mlyard.errors import AlreadyExistsError, InvalidInputError
from mlyard.flavors import LoadedModel, Manifest, Signature, load_model
from mlyard.flavors.manifest import hash_files
from mlyard.names import check_name, check_version
from mlyard.registry import sources
from mlyard.registry.resources import Framework, ResourceConfiguration
from mlyard.registry.samples import sample_frame
from mlyard.store.records import ModelVersionRecord
from mlyard.tempfiles import temp_dir

if TYPE_CHECKING:
    from mlyard.serving import Webservice
    from mlyard.tracking import Run
    from mlyard.workspace import Workspace


class Model:
    """One registered model version.

    Example:
        >>> import tempfile, joblib
        >>> from sklearn.linear_model import LinearRegression
        >>> from mlyard import Workspace
        >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
        >>> path = tempfile.mkdtemp() + "/m.joblib"
        >>> _ = joblib.dump(LinearRegression().fit([[0], [1]], [0, 1]), path)
        >>> m = Model.register(ws, "line", path, model_framework=Model.Framework.SCIKITLEARN)
        >>> m.name, m.version
        ('line', 1)
    """

    Framework = Framework

    def __init__(
        self,
        workspace: Workspace,
        name: str,
        version: int | None = None,
        *,
        alias: str | None = None,
    ):
        """The version ``version`` of model ``name`` (the latest when None, or the one
        carrying ``alias``)."""
        from mlyard.workspace import require_workspace

        self.workspace = require_workspace(workspace)
        store = self.workspace.store
        if alias is not None:
            self._record = store.get_model_version_by_alias(name, alias)
        else:
            if version is not None:
                version = check_version(version)
            self._record = store.get_model_version(name, version)

    @classmethod
    def _of(cls, workspace: Workspace, record: ModelVersionRecord) -> Model:
        model = cls.__new__(cls)
        model.workspace, model._record = workspace, record
        return model

    # -- registering ---------------------------------------------------------------
    @classmethod
    def register(
        cls,
        workspace: Workspace,
        model_name: str,
        model_path: str | Path,
        run: Run | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: ResourceConfiguration | None = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> Model:
        """Register the next version of ``model_name``.

        Args:
            model_path: with ``run``, a file or folder among ``run.get_file_names()``;
                otherwise a local model file (joblib/pickle) or folder.
            model_framework: a ``Model.Framework`` value; required for bare files.
            sample_input_dataset: a tabular dataset (registered on the fly if it is not
                yet) or DataFrame; the signature is inferred from it.
        """
        from mlyard.workspace import require_workspace

        ws = require_workspace(workspace)
        name = check_name(model_name, "model name", field="model_name")
        if model_framework is not None and model_framework not in Framework.all():
            raise InvalidInputError(
                f"unknown model_framework {model_framework!r}",
                field="model_framework",
                fix=f"use one of Model.Framework: {', '.join(Framework.all())}",
            )
        if resource_configuration is not None and not isinstance(
            resource_configuration, ResourceConfiguration
        ):
            raise InvalidInputError(
                "resource_configuration must be a ResourceConfiguration",
                field="resource_configuration",
                fix="e.g. ResourceConfiguration(cpu=1, memory_in_gb=0.5)",
            )
        tag_values = {str(k): str(v) for k, v in (tags or {}).items()}
        user = current_user()
        inputs = sample_frame(
            ws, sample_input_dataset, f"{name}-sample-input", "sample_input_dataset"
        )
        outputs = sample_frame(
            ws, sample_output_dataset, f"{name}-sample-output", "sample_output_dataset"
        )
        with temp_dir("register") as tmp:
            directory = tmp / "model"
            if run is not None:
                manifest = sources.from_run(ws, run, str(model_path), model_framework, directory)
            else:
                manifest = sources.from_local(model_path, model_framework, directory)
            manifest = _finish(
                manifest,
                directory,
                model_framework,
                model_framework_version,
                inputs.frame,
                outputs.frame,
            )
            sources.upload(ws, directory, manifest)
        record = ws.store.create_model_version(
            name,
            framework=manifest.framework,
            framework_version=manifest.framework_version,
            flavor=manifest.flavor,
            manifest=manifest.to_dict(),
            description=description,
            run_id=run.id if run is not None else None,
            source=f"runs:/{run.id}/{model_path}" if run is not None else str(model_path),
            resource_config=resource_configuration.to_dict() if resource_configuration else None,
            sample_input=inputs.ref,
            sample_output=outputs.ref,
            tags=tag_values,
            created_by=user,
        )
        return cls._of(ws, record)

    # -- finding -------------------------------------------------------------------
    @classmethod
    def list(
        cls,
        workspace: Workspace,
        name: str | None = None,
        tags: Mapping[str, Any] | Sequence[Any] | None = None,
        latest: bool = False,
    ) -> builtins.list[Model]:
        """Model versions, filtered by ``name`` and ``tags`` (a dict, a list of tag
        names, or a list of ``[name, value]`` pairs); only the newest per name with
        ``latest=True``."""
        wanted = _tag_filter(tags)
        records = workspace.store.list_model_versions(name, wanted)
        if latest:
            newest: dict[str, ModelVersionRecord] = {}
            for r in records:
                newest[r.name] = r
            records = list(newest.values())
        return [cls._of(workspace, r) for r in records]

    # -- properties ----------------------------------------------------------------
    @property
    def record(self) -> ModelVersionRecord:
        return self._record

    name = property(lambda self: self._record.name)
    version = property(lambda self: self._record.version)
    framework = property(lambda self: self._record.framework)
    framework_version = property(lambda self: self._record.framework_version)
    description = property(lambda self: self._record.description)
    run_id = property(lambda self: self._record.run_id)
    created_at = property(lambda self: self._record.created_at)
    created_by = property(lambda self: self._record.created_by)

    @property
    def id(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._record.tags)

    @property
    def aliases(self) -> builtins.list[str]:
        return list(self._record.aliases)

    @property
    def manifest(self) -> Manifest:
        return Manifest.from_dict(self._record.manifest)

    @property
    def signature(self) -> Signature | None:
        sig = self._record.manifest.get("signature")
        return Signature.from_dict(sig) if sig else None

    @property
    def resource_configuration(self) -> ResourceConfiguration | None:
        return ResourceConfiguration.from_dict(self._record.resource_config)

    @property
    def sample_input_dataset(self) -> Any:
        return _dataset(self.workspace, self._record.sample_input)

    @property
    def sample_output_dataset(self) -> Any:
        return _dataset(self.workspace, self._record.sample_output)

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version}, framework={self.framework!r})"

    # -- using ---------------------------------------------------------------------
    def download(self, target_dir: str | Path = ".", exist_ok: bool = False) -> Path:
        """Write the model directory (files and manifest) into ``target_dir``."""
        target = Path(target_dir)
        if target.exists() and any(target.iterdir()) and not exist_ok:
            raise AlreadyExistsError(
                f"{str(target)!r} is not empty", fix="pass exist_ok=True or an empty folder"
            )
        manifest = self.manifest
        for f in manifest.files:
            self.workspace.blobs.get_file(f.sha256, target / f.path, name=f.path)
        manifest.write(target)
        return target

    def load(self) -> LoadedModel:
        """Download, verify and load the model in this process (no files are left)."""
        with temp_dir("load") as tmp:
            return load_model(self.download(tmp, exist_ok=True))

    def set_alias(self, alias: str) -> Model:
        """Point ``alias`` (e.g. ``"production"``) at this version."""
        check_name(alias, "alias", field="alias")
        if alias.isdigit():
            raise InvalidInputError(
                f"alias {alias!r} looks like a version number",
                field="alias",
                fix="use a word, e.g. 'production'",
            )
        self.workspace.store.set_model_alias(self.name, alias, self.version)
        return self._reload()

    def remove_alias(self, alias: str) -> Model:
        self.workspace.store.delete_model_alias(self.name, alias)
        return self._reload()

    def add_tags(self, tags: Mapping[str, Any]) -> Model:
        values = {str(k): str(v) for k, v in tags.items()}
        self.workspace.store.set_model_version_tags(self.name, self.version, values)
        return self._reload()

    def remove_tags(self, keys: Iterable[str]) -> Model:
        self.workspace.store.delete_model_version_tags(self.name, self.version, list(keys))
        return self._reload()

    def _reload(self) -> Model:
        self._record = self.workspace.store.get_model_version(self.name, self.version)
        return self

    @staticmethod
    def deploy(
        workspace: Workspace,
        name: str,
        models: Sequence[Model],
        overwrite: bool = False,
        deployment_config: Any = None,
    ) -> Webservice:
        """Start web service ``name`` serving ``models``; wait with
        ``service.wait_for_deployment()``."""
        from mlyard.serving.deploy import deploy

        if isinstance(models, Model) or not models:
            raise InvalidInputError(
                "models must be a non-empty list of Model", field="models", fix="pass [model]"
            )
        bad = [m for m in models if not isinstance(m, Model)]
        if bad:
            raise InvalidInputError(
                f"models holds a {type(bad[0]).__name__}, not a Model", field="models"
            )
        records = [m.record for m in models]
        return deploy(
            workspace, name, records, overwrite=overwrite, deployment_config=deployment_config
        )


def _finish(
    manifest: Manifest,
    directory: Path,
    framework: str | None,
    framework_version: str | None,
    inputs: Any,
    outputs: Any,
) -> Manifest:
    if framework is not None and framework != manifest.framework:
        raise InvalidInputError(
            f"model_framework is {framework!r} but the model is a {manifest.framework} model",
            field="model_framework",
            fix=f"pass model_framework={manifest.framework!r} or leave it out",
        )
    signature = Signature.infer(inputs, outputs).to_dict() if inputs is not None else None
    manifest = manifest.with_(
        framework_version=framework_version or manifest.framework_version,
        signature=signature or manifest.signature,
        files=hash_files(directory),
    )
    manifest.write(directory)
    return manifest


def _tag_filter(tags: Any) -> dict[str, str | None] | None:
    if tags is None:
        return None
    if isinstance(tags, Mapping):
        return {str(k): None if v is None else str(v) for k, v in tags.items()}
    out: dict[str, str | None] = {}
    for item in tags:
        if isinstance(item, str):
            out[item] = None
        elif isinstance(item, list | tuple) and len(item) == 2:
            out[str(item[0])] = str(item[1])
        else:
            raise InvalidInputError(
                f"cannot filter on tag {item!r}",
                field="tags",
                fix="pass {'k': 'v'}, ['k'], or [['k', 'v']]",
            )
    return out


def _dataset(ws: Workspace, ref: str | None) -> Any:
    if not ref:
        return None
    from mlyard.data import Dataset

    name, _, version = ref.rpartition(":")
    return Dataset.get_by_name(ws, name, version=int(version))
