"""Prompt A/B tests: which version of a prompt writes for whom, how each version's drafts
fare in review, and promoting the winner.

A candidate version lives beside the prompt as `prompts/<name>.v<version>.toml`. While
an experiment runs, each subject (a student, a lead) always gets the same version: the
split hashes the experiment and the subject, so a retry or a second draft for the same
person never flips version. A promoted winner is served to everyone until the prompt
file's own version changes (a developer folds the winner into it).
"""

import difflib
import hashlib
import json
from statistics import mean

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai.errors import PromptError
from courseops.ai.models import AIEvalResult, PromptExperiment
from courseops.ai.prompts import load_prompt
from courseops.audit.services import log_action
from courseops.reviews.models import Draft, DraftStatus

# Edit distance is measured on the latest drafts of each version: enough for a trend,
# bounded so the page stays fast on a long experiment.
EDIT_DISTANCE_SAMPLE = 200
APPROVED = Q(status__in=[DraftStatus.APPROVED, DraftStatus.APPLIED, DraftStatus.FAILED])
UNEDITED = Q(body=F("generated_body"), subject=F("generated_subject"))


def prompt_for(name, *, subject="", context=None):
    """The prompt version that writes for `subject` now (one query)."""
    prompt = load_prompt(name)
    experiment = PromptExperiment.objects.filter(prompt_name=name).order_by("-started_at").first()
    if experiment is None or experiment.version_a != prompt.version:
        return prompt  # no test, or the file moved on since the last one
    if experiment.running:
        return load_prompt(name, version=version_for(experiment, subject or _stable(context)))
    if experiment.winner and experiment.winner != prompt.version:
        return load_prompt(name, version=experiment.winner)
    return prompt


def version_for(experiment, subject):
    """A or B for `subject`, the same every time for the same experiment and subject."""
    digest = hashlib.sha256(f"{experiment.pk}:{subject}".encode()).hexdigest()
    bucket = int(digest[:8], 16) % 100
    return experiment.version_b if bucket < experiment.share_b else experiment.version_a


def _stable(context):
    return json.dumps(context, sort_keys=True, ensure_ascii=False, default=str)


def start_experiment(*, prompt_name, version_b, share_b=50, user=None):
    """Start testing `version_b` against the prompt file's current version."""
    current = load_prompt(prompt_name)
    load_prompt(prompt_name, version=version_b)  # the candidate must exist and parse
    if str(version_b) == current.version:
        raise PromptError(_("La versión B debe ser distinta de la actual."))
    experiment = PromptExperiment.objects.create(
        prompt_name=prompt_name,
        version_a=current.version,
        version_b=str(version_b),
        share_b=share_b,
    )
    log_action(
        experiment,
        "ai.experiment.started",
        user=user,
        data={"prompt": prompt_name, "b": version_b, "share_b": share_b},
    )
    return experiment


def promote(experiment, version, *, user):
    """End the experiment with `version` as the winner, served to everyone from now on."""
    if version not in (experiment.version_a, experiment.version_b):
        raise PromptError(_("La versión %(v)s no está en esta prueba.") % {"v": version})
    with transaction.atomic():
        updated = PromptExperiment.objects.filter(pk=experiment.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), winner=version, ended_by=user
        )
        if not updated:
            raise PromptError(_("Esta prueba ya terminó."))
        experiment.refresh_from_db()
        log_action(experiment, "ai.experiment.promoted", user=user, data={"winner": version})
    return experiment


def results(experiment):
    """Per version: drafts decided, approved unedited / edited / rejected (percent of
    decided), mean edit distance of the approved ones (percent of the text staff changed)
    and the latest eval pass rate. Three queries."""
    versions = [experiment.version_a, experiment.version_b]
    drafts = Draft.objects.filter(
        ai_usage__prompt_name=experiment.prompt_name,
        ai_usage__prompt_version__in=versions,
        ai_usage__created_at__gte=experiment.started_at,
    )
    if experiment.ended_at:
        drafts = drafts.filter(ai_usage__created_at__lt=experiment.ended_at)
    counts = {
        row["ai_usage__prompt_version"]: row
        for row in drafts.filter(decided_at__isnull=False)
        .values("ai_usage__prompt_version")
        .annotate(
            decided=Count("pk"),
            unedited=Count("pk", filter=APPROVED & UNEDITED),
            edited=Count("pk", filter=APPROVED & ~UNEDITED),
            rejected=Count("pk", filter=Q(status=DraftStatus.REJECTED)),
        )
        .order_by()
    }
    distances = {version: [] for version in versions}
    approved = (
        drafts.filter(APPROVED, decided_at__isnull=False)
        .order_by("-decided_at")
        .values_list(
            "ai_usage__prompt_version", "generated_subject", "generated_body", "subject", "body"
        )
    )
    for version, subject, body, final_subject, final_body in approved[: EDIT_DISTANCE_SAMPLE * 2]:
        if len(distances[version]) < EDIT_DISTANCE_SAMPLE:
            distances[version].append(
                edit_distance(f"{subject}\n{body}", f"{final_subject}\n{final_body}")
            )
    scores = _eval_scores(experiment.prompt_name, versions)
    rows = []
    for label, version in (("A", experiment.version_a), ("B", experiment.version_b)):
        row = counts.get(version, {})
        decided = row.get("decided", 0)
        rows.append(
            {
                "label": label,
                "version": version,
                "decided": decided,
                "unedited": _share(row.get("unedited", 0), decided),
                "edited": _share(row.get("edited", 0), decided),
                "rejected": _share(row.get("rejected", 0), decided),
                "edit_distance": mean(distances[version]) if distances[version] else None,
                "eval_score": scores.get(version),
            }
        )
    return rows


def edit_distance(generated, final):
    """Percent of the text staff changed before approving: 0 untouched, 100 rewritten."""
    return round(100 * (1 - difflib.SequenceMatcher(None, generated, final).ratio()), 1)


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _eval_scores(prompt_name, versions):
    """{version: pass rate %} from the latest eval run that covered each version."""
    latest = {}
    for version, run_id, passed in (
        AIEvalResult.objects.filter(prompt_name=prompt_name, prompt_version__in=versions)
        .order_by("-run_id")
        .values_list("prompt_version", "run_id", "passed")
    ):
        run, outcomes = latest.setdefault(version, (run_id, []))
        if run == run_id:
            outcomes.append(passed)
    return {
        version: round(100 * sum(outcomes) / len(outcomes), 1)
        for version, (_run, outcomes) in latest.items()
    }
