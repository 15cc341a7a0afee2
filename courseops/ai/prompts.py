"""Versioned prompt files: `prompts/<name>.toml` in any template folder.

A prompt file holds its `version` (recorded on every usage row and part of the cache
key), the context keys it needs, the system and user messages as Django templates, an
optional JSON `schema` for structured output, and one plain `offline` draft per language
that the offline provider fills with the same context. Offline fields whose name ends in
`_html` are HTML-escaped; the others (and the model messages) are plain text. An offline
field whose schema type is not a string (a list of key points) is written as JSON text.
A prompt also says how its answers may be cached (`cache = "shared"` for texts anyone
may receive, "personal" for texts written for one person: the default) and which model
class runs it (`model_class = "light"` or "strong", mapped to models by `AI_MODELS`).
See templates/prompts/welcome_email.toml for a complete example.
"""

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError, engines
from django.template.utils import get_app_template_dirs
from django.utils.translation import gettext as _

from courseops.ai.errors import PromptError

CACHE_POLICIES = ("shared", "personal")
MODEL_CLASSES = ("light", "strong")
_NAME = re.compile(r"^[a-z0-9_]{1,80}$")
_VERSION = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# Offline drafts may `{% load i18n %}` for plurals ({% blocktranslate count %}, ngettext).
_ENGINE = Engine(libraries={"i18n": "django.templatetags.i18n"})


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    description: str
    required: tuple
    system: str
    user: str
    schema: dict | None
    offline: dict  # language -> {field: template source}
    temperature: float | None
    path: str
    # "shared": an answer may be served to anyone asking with the same input (reminders,
    # summaries); "personal": only to the same subject (a retry), never to another person.
    cache: str = "personal"
    # "light" (reminders, nudges) or "strong" (summaries, quizzes): AI_MODELS maps it.
    model_class: str = "strong"

    def render_messages(self, context):
        """The chat messages sent to a model: system (if any) then user."""
        messages = []
        if self.system:
            messages.append({"role": "system", "content": _render(self.system, context)})
        messages.append({"role": "user", "content": _render(self.user, context)})
        return messages

    def render_offline(self, context, language):
        """The offline draft's fields, in `language` or else the site's default language."""
        fields = self.offline.get(language) or self.offline[settings.LANGUAGE_CODE]
        return {
            key: _render(source, context, html=key.endswith("_html"))
            for key, source in fields.items()
        }


def _render(source, context, *, html=False):
    return _ENGINE.from_string(source).render(Context(context, autoescape=html)).strip()


def prompt_dirs():
    """Template folders that may hold a `prompts/` folder: the project's, then each app's."""
    dirs = [Path(d) for d in engines["django"].engine.dirs]
    dirs += [Path(d) for d in get_app_template_dirs("templates")]
    return [d / "prompts" for d in dirs]


def load_prompt(name, *, version=None):
    """The prompt file `prompts/<name>.toml`, or with `version` the one of that version:
    the main file if it is that version, else `prompts/<name>.v<version>.toml` (a
    candidate version under A/B test or evaluation)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise PromptError(
            _("Nombre de prompt no válido %(name)r: usa minúsculas, dígitos y _.") % {"name": name}
        )
    prompt = _load_file(f"{name}.toml")
    if prompt is None:
        raise PromptError(
            _("Prompt desconocido %(name)r: falta prompts/%(name)s.toml en las plantillas.")
            % {"name": name}
        )
    if version is None or str(version) == prompt.version:
        return prompt
    if not _VERSION.match(str(version)):
        raise PromptError(_("Versión de prompt no válida %(v)r.") % {"v": version})
    candidate = _load_file(f"{name}.v{version}.toml")
    if candidate is None or candidate.version != str(version):
        raise PromptError(
            _("No hay versión %(version)s del prompt %(name)r: falta prompts/%(file)s.")
            % {"name": name, "version": version, "file": f"{name}.v{version}.toml"}
        )
    return candidate


def prompt_files():
    """(name, version or None) of every prompt file, main files and candidate versions."""
    found = []
    for folder in prompt_dirs():
        for path in sorted(folder.glob("*.toml")):
            name, _dot, version = path.stem.partition(".v")
            found.append((str(path), name, version or None))
    return found


def _load_file(filename):
    for folder in prompt_dirs():
        path = folder / filename
        if path.is_file():
            return _parse(str(path), path.read_text(encoding="utf-8"))
    return None


@functools.lru_cache(maxsize=128)
def _parse(path, source):
    """Parse once per content: an edited file is picked up without a restart."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(
            _("%(path)s: TOML no válido (%(exc)s).") % {"path": path, "exc": exc}
        ) from exc
    missing = [key for key in ("version", "user", "offline") if key not in raw]
    if missing:
        raise PromptError(
            _("%(path)s: falta %(keys)s.") % {"path": path, "keys": ", ".join(missing)}
        )
    offline = raw["offline"]
    if settings.LANGUAGE_CODE not in offline:
        raise PromptError(
            _("%(path)s: necesita un borrador [offline.%(lang)s].")
            % {"path": path, "lang": settings.LANGUAGE_CODE}
        )
    for key, allowed in (("cache", CACHE_POLICIES), ("model_class", MODEL_CLASSES)):
        if key in raw and raw[key] not in allowed:
            raise PromptError(
                _("%(path)s: %(key)s debe ser %(allowed)s.")
                % {"path": path, "key": key, "allowed": " o ".join(allowed)}
            )
    schema = raw.get("schema")
    for language, fields in offline.items():
        expected = set(schema.get("required", [])) if schema else {"text"}
        if not expected <= set(fields):
            raise PromptError(
                _("%(path)s: [offline.%(lang)s] debe definir %(keys)s.")
                % {"path": path, "lang": language, "keys": ", ".join(sorted(expected))}
            )
    sources = [raw.get("system", ""), raw["user"]]
    sources += [source for fields in offline.values() for source in fields.values()]
    for source in sources:
        try:
            _ENGINE.from_string(source)
        except TemplateSyntaxError as exc:
            raise PromptError(
                _("%(path)s: error de plantilla (%(exc)s).") % {"path": path, "exc": exc}
            ) from exc
    return Prompt(
        name=Path(path).stem.partition(".v")[0],
        version=str(raw["version"]),
        description=raw.get("description", ""),
        required=tuple(raw.get("required", ())),
        system=raw.get("system", ""),
        user=raw["user"],
        schema=schema,
        offline=offline,
        temperature=raw.get("temperature"),
        path=path,
        cache=raw.get("cache", "personal"),
        model_class=raw.get("model_class", "strong"),
    )


def build_context(prompt, context, language):
    """The template context: the caller's values plus `language` and `language_name`."""
    languages = dict(settings.AI_LANGUAGES)
    if language not in languages:
        raise PromptError(
            _("Idioma no admitido %(lang)r: usa uno de %(langs)s.")
            % {"lang": language, "langs": ", ".join(sorted(languages))}
        )
    if not isinstance(context, dict):
        raise PromptError(
            _("El prompt %(name)r necesita un contexto dict, no %(type)s.")
            % {"name": prompt.name, "type": type(context).__name__}
        )
    missing = [key for key in prompt.required if context.get(key) in (None, "")]
    if missing:
        raise PromptError(
            _("Al prompt %(name)r le falta contexto: %(keys)s.")
            % {"name": prompt.name, "keys": ", ".join(missing)}
        )
    return {**context, "language": language, "language_name": languages[language]}
