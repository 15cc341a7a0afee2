"""A small kustomize for the tests: renders deploy/k8s the way `kubectl kustomize` does.

No kustomize binary installs from the package registries, so the suite renders the
kustomizations itself. It knows only the fields our kustomizations use (resources,
namespace, labels, images, replicas, JSON 6902 patches) and refuses any other, so a
kustomization that grows a new feature fails here instead of being rendered wrongly.
test_deploy_files.py compares it with `kubectl kustomize` where kubectl is installed.
"""

import copy
from pathlib import Path

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas"}
SUPPORTED |= {"patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
SCALABLE_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}


class KustomizeError(Exception):
    pass


def load_documents(path):
    with open(path) as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def render(folder):
    """The resources of the kustomization in `folder`, as a list of dicts."""
    folder = Path(folder)
    kustomization = load_documents(folder / "kustomization.yaml")[0]
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{folder}: fields this renderer does not know: {sorted(unknown)}")
    resources = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_dir():
            resources.extend(render(path))
        elif path.is_file():
            resources.extend(load_documents(path))
        else:
            raise KustomizeError(f"{folder}: resource {entry} does not exist")
    _check_unique(resources, folder)
    for label_set in kustomization.get("labels", []):
        if label_set.get("includeSelectors") or label_set.get("includeTemplates"):
            raise KustomizeError("labels into selectors or templates are not supported")
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(label_set["pairs"])
    for patch in kustomization.get("patches", []):
        _apply_patch(resources, patch, folder)
    for replica in kustomization.get("replicas", []):
        targets = [
            r
            for r in resources
            if r["kind"] in SCALABLE_KINDS and r["metadata"]["name"] == replica["name"]
        ]
        if not targets:
            raise KustomizeError(f"replicas: no resource named {replica['name']}")
        for target in targets:
            target["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def _check_unique(resources, folder):
    seen = set()
    for resource in resources:
        key = (resource["kind"], resource["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"{folder}: {key} is declared twice")
        seen.add(key)


def _apply_patch(resources, patch, folder):
    if "path" in patch or "patch" not in patch or set(patch) - {"target", "patch"}:
        raise KustomizeError("only inline JSON 6902 patches with a target are supported")
    target = patch["target"]
    if set(target) - {"kind", "name"}:
        raise KustomizeError(f"patch target fields not supported: {sorted(target)}")
    operations = yaml.safe_load(patch["patch"])
    if not isinstance(operations, list):
        raise KustomizeError("only JSON 6902 patches (a list of operations) are supported")
    matched = [
        r
        for r in resources
        if r["kind"] == target["kind"]
        and ("name" not in target or r["metadata"]["name"] == target["name"])
    ]
    if not matched:
        raise KustomizeError(f"{folder}: patch target {target} matches nothing")
    for resource in matched:
        for operation in operations:
            _json_patch(resource, operation)


def _json_patch(document, operation):
    op, path = operation["op"], operation["path"]
    if op not in {"add", "replace", "remove"}:
        raise KustomizeError(f"JSON patch op {op!r} not supported")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    parent = document
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            parent[index] = copy.deepcopy(operation["value"])
        else:
            del parent[index]
        return
    if op in {"replace", "remove"} and last not in parent:
        raise KustomizeError(f"JSON patch {op} of a missing path {path}")
    if op == "remove":
        del parent[last]
    else:
        parent[last] = copy.deepcopy(operation["value"])


def _set_image(resources, image):
    for resource in resources:
        if resource["kind"] not in POD_TEMPLATE_KINDS:
            continue
        pod = resource["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            name = container["image"].split("@")[0].rsplit(":", 1)[0]
            if name != image["name"]:
                continue
            new = image.get("newName", image["name"])
            if "digest" in image:
                container["image"] = f"{new}@{image['digest']}"
            elif "newTag" in image:
                container["image"] = f"{new}:{image['newTag']}"
            else:
                container["image"] = new
