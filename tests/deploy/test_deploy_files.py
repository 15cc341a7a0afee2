"""The deploy files pass their validators and agree with the code and .env.example.

Docker engines cannot run here (no registry to pull base images from), so the files are
checked with the tools that install from the package registries: hadolint for the
Dockerfile, kubernetes-validate's schemas for the rendered manifests, docker-compose's own
`config` for compose.yaml.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from courseops.core.health import CHECKS
from tests.deploy.kustomize import render

# Files and their validators: no database, the same on any suite (CI runs it once).
pytestmark = pytest.mark.suite_independent
ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = ["base", "overlays/production"]
K8S_VERSION = "1.37.0"
# The queue groups, one worker each (DESIGN.md, "Queues by urgency").
QUEUE_GROUPS = {"critical": "critical,default", "bulk": "bulk", "media": "media,ai"}
PROCESS_DEPLOYMENTS = {
    "courseops-web",
    "courseops-hooks",
    "courseops-worker-critical",
    "courseops-worker-bulk",
    "courseops-worker-media",
    "courseops-beat",
}


def _env_example_names():
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def _secret_names_read_from_files():
    """Settings read through env_secret (or _keys), so NAME_FILE works for them."""
    text = "".join(path.read_text() for path in (ROOT / "courseops" / "settings").glob("*.py"))
    return set(re.findall(r'(?:env_secret|_keys)\(\s*"([A-Z0-9_]+)"', text))


def _rendered(name):
    return render(K8S / name)


def _by_kind(resources, kind):
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def _pod_containers(resource):
    pod = resource["spec"]["template"]["spec"]
    return pod.get("initContainers", []) + pod["containers"]


# --- Dockerfile -------------------------------------------------------------------------


def test_dockerfile_passes_hadolint_with_no_finding():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")

    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_dockerfile_is_multi_stage_slim_non_root_with_weasyprint_libraries_and_gunicorn():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", text, flags=re.MULTILINE)

    assert [name for _, name in stages] == ["build", "runtime"]
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in text
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-"):
        assert package in text
    # pg_dump for the nightly backup task, which runs on a worker from this image.
    assert "postgresql-client" in text
    assert "imageio_ffmpeg.get_ffmpeg_exe()" in text
    assert re.search(r"^RUN .*manage\.py collectstatic --noinput", text, flags=re.MULTILINE)
    user = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert user
    assert user[-1].split(":")[0] not in {"root", "0"}
    cmd = re.findall(r"^CMD \[(.*?)\]", text, flags=re.MULTILINE | re.DOTALL)[-1]
    assert cmd.startswith('"gunicorn", "courseops.wsgi"')


def test_dockerignore_keeps_secrets_local_settings_and_the_git_history_out_of_the_image():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {".git", ".env", "secrets", ".venv", "var", "tests"} <= ignored


# --- Kubernetes -------------------------------------------------------------------------


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_rendered_manifests_pass_kubernetes_validate_strict_schemas(name):
    checked = 0
    for resource in _rendered(name):
        if resource["apiVersion"].startswith("keda.sh/"):
            continue  # a custom resource: no schema ships; checked below
        kubernetes_validate.validate(resource, K8S_VERSION, strict=True)
        checked += 1

    assert checked >= 11


def test_kubernetes_validate_rejects_a_misspelt_field_so_the_check_above_means_something():
    beat = yaml.safe_load((K8S / "base" / "beat.yaml").read_text())
    beat["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(beat, K8S_VERSION, strict=True)


def test_every_manifest_file_is_listed_in_its_kustomization():
    for folder in [K8S / name for name in KUSTOMIZATIONS]:
        listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
        files = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert files == {entry for entry in listed if entry.endswith(".yaml")}, folder


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed here")
@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_test_renderer_gives_what_kubectl_kustomize_gives(name):
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    real = {(r["kind"], r["metadata"]["name"]): r for r in yaml.safe_load_all(result.stdout)}

    assert {(r["kind"], r["metadata"]["name"]): r for r in _rendered(name)} == real


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_one_deployment_per_process_type_each_with_requests_and_limits(name):
    resources = _rendered(name)
    deployments = _by_kind(resources, "Deployment")

    assert set(deployments) == PROCESS_DEPLOYMENTS
    for resource in [*deployments.values(), *_by_kind(resources, "Job").values()]:
        for container in _pod_containers(resource):
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), container
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), container
        assert resource["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_beat_runs_once_and_is_recreated_never_rolled_and_probed_by_its_heartbeat():
    beat = _by_kind(_rendered("overlays/production"), "Deployment")["courseops-beat"]

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    container = beat["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:4] == ["celery", "-A", "courseops", "beat"]
    probe = container["livenessProbe"]["exec"]["command"]
    assert probe == ["python", "manage.py", "check_heartbeat", "beat"]


@pytest.mark.parametrize("name", ["courseops-web", "courseops-hooks"])
def test_web_probes_ask_health_only_for_checks_that_exist_and_never_for_other_processes(name):
    resources = _rendered("overlays/production")
    web = _by_kind(resources, "Deployment")[name]["spec"]["template"]["spec"]
    container = web["containers"][0]
    config = _by_kind(resources, "ConfigMap")["courseops-config"]["data"]

    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        path, _, query = get["path"].partition("?checks=")
        assert path == "/health/"
        names = {n for n in query.split(",") if n}
        assert names <= set(CHECKS)
        assert not names & {"worker", "beat", "broker"}, probe
        host = {h["name"]: h["value"] for h in get["httpHeaders"]}["Host"]
        assert host in config["DJANGO_ALLOWED_HOSTS"].split(",")
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/?checks=database,cache"


def test_web_scales_on_cpu_and_each_worker_group_on_its_own_celery_queues():
    resources = _rendered("overlays/production")
    deployments = _by_kind(resources, "Deployment")
    hpas = _by_kind(resources, "HorizontalPodAutoscaler")
    scaled = _by_kind(resources, "ScaledObject")

    servers = {"courseops-web", "courseops-hooks"}
    assert set(hpas) == servers
    for name in servers:
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        assert hpas[name]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # The autoscalers own the replica counts: a manifest carrying one resets them at each apply.
    for name in servers | {f"courseops-worker-{group}" for group in QUEUE_GROUPS}:
        assert "replicas" not in deployments[name]["spec"], name
    assert set(scaled) == {f"courseops-worker-{group}" for group in QUEUE_GROUPS}
    for group, queues in QUEUE_GROUPS.items():
        name = f"courseops-worker-{group}"
        command = deployments[name]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert command[command.index("-Q") + 1] == queues
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"] == {"name": name}
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        assert [t["metadata"]["listName"] for t in spec["triggers"]] == queues.split(",")
        for trigger in spec["triggers"]:
            assert trigger["type"] == "redis"
            assert trigger["authenticationRef"]["name"] in _by_kind(
                resources, "TriggerAuthentication"
            )
            # KEDA's CRD: every metadata value is a string.
            assert all(isinstance(v, str) for v in trigger["metadata"].values())
        liveness = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert f"--destination {group}@$HOSTNAME" in liveness["livenessProbe"]["exec"]["command"][2]
        assert f"{group}@%h" in command


def test_the_vendors_doors_and_only_they_go_to_the_threaded_hooks_tier(settings):
    """The Ingress sends exactly the lean paths (no people middleware, reviewed for threads)
    to the hooks tier, whose gunicorn runs threads; people's pages stay on sync web."""
    resources = _rendered("overlays/production")
    routes = {
        path["path"]: path["backend"]["service"]["name"]
        for ingress in _by_kind(resources, "Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    deployments = _by_kind(resources, "Deployment")
    hooks = deployments["courseops-hooks"]["spec"]["template"]["spec"]["containers"][0]
    web = deployments["courseops-web"]["spec"]["template"]["spec"]["containers"][0]

    assert {p for p, service in routes.items() if service == "courseops-hooks"} == set(
        settings.LEAN_PATH_PREFIXES
    )
    assert routes["/"] == "courseops-web"
    assert set(_by_kind(resources, "Service")) >= {"courseops-web", "courseops-hooks"}
    options = dict(arg.removeprefix("--").split("=", 1) for arg in hooks["command"][2:])
    assert hooks["command"][:2] == ["gunicorn", "courseops.wsgi"]
    assert int(options["threads"]) > 1
    assert "command" not in web  # the image's CMD: sync workers
    assert "threads" not in (ROOT / "Dockerfile").read_text().split("CMD", 1)[1]


def test_migrate_job_migrates_installs_periodic_tasks_and_every_process_waits_for_it():
    resources = _rendered("overlays/production")
    job = _by_kind(resources, "Job")["courseops-migrate"]["spec"]["template"]["spec"]
    script = job["containers"][0]["command"][-1]

    assert "manage.py migrate --noinput" in script
    assert "manage.py install_periodic_tasks" in script
    for deployment in _by_kind(resources, "Deployment").values():
        init = deployment["spec"]["template"]["spec"]["initContainers"][0]
        assert "manage.py migrate --check" in init["command"][-1]


def test_secrets_come_from_files_of_the_secret_that_the_app_reads_as_name_file():
    resources = _rendered("overlays/production")
    config = _by_kind(resources, "ConfigMap")["courseops-config"]["data"]
    readable = _secret_names_read_from_files()
    file_settings = {k: v for k, v in config.items() if k.endswith("_FILE")}

    assert {"DATABASE_URL_FILE", "REDIS_URL_FILE", "DJANGO_SECRET_KEY_FILE"} <= set(file_settings)
    for name, path in file_settings.items():
        assert name.removesuffix("_FILE") in readable, f"{name}: the app does not read it"
        assert path.startswith("/run/secrets/courseops/")
    for resource in [
        *_by_kind(resources, "Deployment").values(),
        *_by_kind(resources, "Job").values(),
    ]:
        pod = resource["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["secrets"]["secret"]["secretName"] == "courseops-secrets"
        for container in _pod_containers(resource):
            assert {"configMapRef": {"name": "courseops-config"}} in container["envFrom"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts["/run/secrets/courseops"] == "secrets"
    # Secret keys the operator creates are all explained in docs/deploy.md.
    docs = (ROOT / "docs" / "deploy.md").read_text()
    for key in [Path(p).name for p in file_settings.values()] + ["redis-password"]:
        assert key in docs, key


# --- compose ----------------------------------------------------------------------------


def _compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _compose_config(tmp_path):
    binary = shutil.which("docker-compose")
    if not binary:
        pytest.skip("docker-compose is not installed (`make deploy-tools` installs it)")
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL"))}
    env["DJANGO_ALLOWED_HOSTS"] = "ops.example.com"
    return subprocess.run(
        [
            binary,
            "--project-directory",
            str(tmp_path),
            "-f",
            str(tmp_path / "compose.yaml"),
            "config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_compose_file_passes_docker_compose_config(tmp_path):
    result = _compose_config(tmp_path)

    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker-critical",
        "worker-bulk",
        "worker-media",
        "beat",
    }
    for name, service in services.items():
        if name != "migrate":
            assert "healthcheck" in service, name
        if name not in {"postgres", "redis", "migrate"}:
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }
            assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
            assert service["environment"]["DJANGO_ALLOWED_HOSTS"] == "ops.example.com,localhost"
    assert "/health/?checks=database,cache" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_refuses_to_start_without_the_allowed_hosts(tmp_path, monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOWED_HOSTS", raising=False)
    binary = shutil.which("docker-compose")
    if not binary:
        pytest.skip("docker-compose is not installed (`make deploy-tools` installs it)")
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")

    result = subprocess.run(
        [binary, "-f", str(tmp_path / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )

    assert result.returncode != 0
    assert "set DJANGO_ALLOWED_HOSTS in .env" in result.stderr


def test_compose_runs_one_worker_per_queue_group_and_one_beat():
    services = _compose()["services"]

    for group, queues in QUEUE_GROUPS.items():
        command = services[f"worker-{group}"]["command"]
        assert command[command.index("-Q") + 1] == queues
        assert (
            f"--destination {group}@$$HOSTNAME"
            in services[f"worker-{group}"]["healthcheck"]["test"][1]
        )
    assert services["beat"]["command"][:4] == ["celery", "-A", "courseops", "beat"]
    assert "deploy" not in services["beat"]
    migrate = services["migrate"]["command"][-1]
    assert "migrate --noinput" in migrate
    assert "install_periodic_tasks" in migrate


# --- Every variable set is documented ------------------------------------------------------


def test_every_variable_the_deploy_files_set_for_the_app_is_in_env_example():
    documented = _env_example_names()
    readable = _secret_names_read_from_files()
    compose = _compose()
    names = set(compose["x-app"]["environment"])
    names |= set(
        _by_kind(_rendered("overlays/production"), "ConfigMap")["courseops-config"]["data"]
    )
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.index("AS runtime") :]
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", runtime, flags=re.MULTILINE):
        names |= {word.split("=")[0] for word in shlex.split(block.replace("\\\n", " "))}
    names -= {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}

    for name in sorted(names):
        if name.endswith("_FILE"):
            assert name.removesuffix("_FILE") in readable, f"{name}: not readable from a file"
            name = name.removesuffix("_FILE")
        assert name in documented, f"{name} is set by a deploy file but not in .env.example"


# --- CI ---------------------------------------------------------------------------------


def _make_test_runs_in_ci_run():
    """(env vars set, env vars unset, make's arguments after `test`) of each `make test`
    line of .ci/run."""
    runs, pending = [], ""
    for line in (ROOT / ".ci" / "run").read_text().splitlines():
        line = line.strip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if "make test" in line and not line.startswith("#"):
            words = shlex.split(line)
            at = words.index("make")
            unset = {words[i + 1] for i, w in enumerate(words[:at]) if w == "-u"}
            sets = dict(w.split("=", 1) for w in words[:at] if re.match(r"^[A-Z_]+=", w))
            runs.append((sets, unset, words[at + 2 :]))
    return runs


def test_ci_workflow_parses_and_runs_what_ci_run_runs_on_postgres_15_and_redis_7():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["test"]
    steps = [s for s in job["steps"] if "make test" in s.get("run", "")]
    expected = _make_test_runs_in_ci_run()

    assert job["services"]["postgres"]["image"].startswith("postgres:15")
    assert job["services"]["redis"]["image"].startswith("redis:7")
    assert any("chromium" in s.get("run", "") for s in job["steps"])
    assert len(steps) == len(expected) == 2
    for step, (sets, unset, make_args) in zip(steps, expected, strict=True):
        # The same tests selected (the suite-independent ones in one suite only).
        run = shlex.split(step["run"])
        assert run[run.index("make") + 2 :] == make_args
        env = step.get("env", {})
        assert set(env) == set(sets)
        for name, value in sets.items():
            # Same database and Redis db, on the service containers' host names.
            assert env[name].rsplit("/", 1)[-1] == value.rsplit("/", 1)[-1]
        for name in unset:
            assert f"-u {name}" in step["run"]


# --- Queues -----------------------------------------------------------------------------


def test_every_queue_a_task_is_routed_to_is_read_by_one_of_the_deployed_worker_groups():
    from courseops.celery import app

    app.loader.import_default_modules()
    routed = {}
    for name in app.tasks:
        if name.startswith("celery."):
            continue
        queue = app.amqp.router.route({}, name, (), {})["queue"]
        routed.setdefault(getattr(queue, "name", queue), []).append(name)
    if set(routed) == {"celery"}:
        pytest.skip("no queue routing in code yet: every task goes to Celery's default queue")
    consumed = {queue for queues in QUEUE_GROUPS.values() for queue in queues.split(",")}

    unread = {queue: tasks for queue, tasks in routed.items() if queue not in consumed}
    assert not unread, f"queues no deployed worker reads: {unread}"
