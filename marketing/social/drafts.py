"""Post texts: AI drafts from a topic (two variants per network), each network's length
limit, and which text of a reviewed draft goes to which network.

Marketing's drafts use the webinars app's review kind `social_post` rather than a kind of
their own: staff review every social post in one queue, and approving one only lets the
scheduler (here) pick it up, which is all that kind's action does. Both write the body as
sections headed `[network]` (webinars) or `[network N]` (variants here); the first section
left per network after the reviewer's edits is the one scheduled.
"""

import re

from courseops.ai import generate
from courseops.reviews.services import create_draft
from marketing.social.models import Network

# Characters a post may have; on X every link counts as 23 (t.co), whatever its length.
LIMITS = {Network.X: 280, Network.LINKEDIN: 3000, Network.FACEBOOK: 63206, Network.INSTAGRAM: 2200}
X_LINK_LENGTH = 23
_SECTION = re.compile(r"^\[(linkedin|x|facebook|instagram)(?: \d+)?\]\s*$", re.MULTILINE)
_URL = re.compile(r"https?://\S+")


def length_on(network, text):
    if network == Network.X:
        return len(_URL.sub("x" * X_LINK_LENGTH, text))
    return len(text)


def too_long(network, text):
    """The error to show when `text` does not fit `network`, or ""."""
    limit = LIMITS.get(network)
    size = length_on(network, text)
    return (
        f"Demasiado largo para {network}: {size} > {limit} caracteres."
        if limit and size > limit
        else ""
    )


def texts_for(draft):
    """{network: text} of a reviewed `social_post` draft: the first section per network
    of its (edited) body, else the webinars' `data["networks"]`."""
    parts = _SECTION.split(draft.body or "")
    texts = {}
    for network, text in zip(parts[1::2], parts[2::2], strict=True):
        if text.strip():
            texts.setdefault(network, text.strip())
    return texts or dict((draft.data or {}).get("networks", {}))


def draft_from_brief(*, brief, user=None):
    """Two AI variants per network about the brief's topic, queued for review."""
    result = generate(
        "social_posts",
        {"topic": brief.topic, "details": brief.details, "link": brief.link},
        language=brief.language,
        requested_by="marketing.social_posts",
        user=user,
    )
    variants = {
        network: [result.data[f"{network}_{n}"].strip() for n in (1, 2)] for network in LIMITS
    }
    body = "\n\n".join(
        f"[{network} {n}]\n{text}"
        for network, texts in variants.items()
        for n, text in enumerate(texts, start=1)
    )
    return create_draft(
        kind="social_post",
        target=brief,
        subject=brief.topic,
        body=body,
        data={
            "networks": {network: texts[0] for network, texts in variants.items()},
            "variants": variants,
            "language": brief.language,
            "too_long": {
                network: [too_long(network, text) for text in texts]
                for network, texts in variants.items()
                if any(too_long(network, text) for text in texts)
            },
        },
        ai_result=result,
    )
