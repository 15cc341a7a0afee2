"""axe-core run in the page (the copy axe-playwright-python ships), at the two widths the
portal is designed for: a laptop and a 375 px phone."""

from axe_playwright_python.sync_playwright import Axe

WIDTHS = {"laptop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
BLOCKING = {"serious", "critical"}

_axe = Axe()


def blocking_violations(page):
    """axe-core's serious and critical violations on the page as it is now, as readable
    lines (rule, impact, the first offending elements)."""
    results = _axe.run(page).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def check_widths(page, folder, name):
    """Screenshots and axe-core at each width; returns {width: violations}, empty lists
    when the page passes."""
    found = {}
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=folder / f"{name}-{label}.png", full_page=True)
        found[label] = blocking_violations(page)
    return found
