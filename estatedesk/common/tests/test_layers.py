"""Architecture: no import cycles among our modules, and dependencies only down the layer order
(README; the rules are in estatedesk/common/layers.py). Pure: reads the source, no database."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from estatedesk.common import layers


def test_no_import_cycles():
    cycles = layers.import_cycles()

    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(sorted(cycle)) for cycle in cycles)


def test_dependencies_follow_the_layer_order():
    violations = layers.layer_violations()

    assert not violations, f"against the layer order {layers.LAYER_ORDER}:\n" + "\n".join(
        str(violation) for violation in violations
    )


# --- the checker itself, on a tiny tree ---------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "shop" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
    return root / "shop"


CLEAN = {
    "__init__.py": "",
    "common/__init__.py": "",
    "common/models.py": "BASE = 1\n",
    "org/__init__.py": "",
    "org/apps.py": 'class OrgConfig:\n    name = "shop.org"\n    label = "org"\n',
    "org/models.py": "from shop.common.models import BASE\n",
    "org/urls.py": 'app_name = "org"\n',
    "owners/__init__.py": "",
    "owners/apps.py": 'class OwnersConfig:\n    name = "shop.owners"\n    label = "owners"\n',
    "owners/urls.py": 'app_name = "owner_pages"\n',
    "owners/models.py": "from ..org import models\nfrom . import selectors\n",
    "owners/selectors.py": "def f():\n    from shop.org.models import BASE\n    return BASE\n",
    "owners/tests/__init__.py": "",
    "owners/tests/test_x.py": "from shop.analytics import x\n",  # tests are left out
    "notifications/__init__.py": "",
    "notifications/services.py": "from shop.common import models\n",
    "config/__init__.py": "",
    "config/urls.py": "from shop.owners import models\nfrom shop.notifications import services\n",
}


def test_checker_passes_a_tree_that_keeps_the_rules(tmp_path):
    package = _write(tmp_path, CLEAN)

    assert layers.import_cycles(package) == []
    assert layers.layer_violations(package) == []


def test_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    package = _write(
        tmp_path,
        CLEAN
        | {
            "owners/selectors.py": "def f():\n    from shop.owners.services import g\n    return g\n",
            "owners/services.py": "from .selectors import f\n",
        },
    )

    assert layers.import_cycles(package) == [frozenset({"shop.owners.selectors", "shop.owners.services"})]


def test_checker_finds_imports_and_reach_ins_against_the_layer_order(tmp_path):
    package = _write(
        tmp_path,
        CLEAN
        | {
            "org/models.py": """\
                from django.apps import apps
                from shop.common.models import BASE


                def units():
                    from shop.owners.models import Occupancy
                    return apps.get_model("owners.Occupancy")
                """,
            "org/views.py": """\
                from django.shortcuts import redirect


                def home(request):
                    return redirect("owner_pages:portal")
                """,
            "org/services.py": 'from django.apps import apps\n\nX = apps.get_model("owners", "Resident")\n',
            "org/pages.py": 'HTML = \'<a href="{% url "owner_pages:portal" %}">home</a>\'\n',
            "common/helpers.py": "import shop.org.models\n",
            "notifications/views.py": 'from django.urls import reverse\n\nURL = reverse("org:home")\n',
            "owners/admin.py": "from shop.analytics.models import Summary\n",
            "analytics/__init__.py": "",
            "analytics/models.py": "from shop.owners.models import Occupancy\n",
        },
    )

    assert [str(violation) for violation in layers.layer_violations(package)] == [
        "shop.common.helpers -> shop.org.models (common depends on no other app; line 1)",
        "shop.notifications.views -> shop.org (notifications depends on common only;"
        ' reverse("org:home"), line 3)',
        "shop.org.models -> shop.owners (org comes before owners in the layer order;"
        ' get_model("owners.Occupancy"), line 7)',
        "shop.org.models -> shop.owners.models (org comes before owners in the layer order; line 6)",
        "shop.org.pages -> shop.owners (org comes before owners in the layer order;"
        ' {% url "owner_pages:…" %}, line 1)',
        "shop.org.services -> shop.owners (org comes before owners in the layer order;"
        ' get_model("owners", …), line 3)',
        "shop.org.views -> shop.owners (org comes before owners in the layer order;"
        ' redirect("owner_pages:portal"), line 5)',
        "shop.owners.admin -> shop.analytics.models (nothing but config and demo depends on analytics;"
        " line 1)",
    ]


def test_rules_between_apps():
    assert layers.broken_rule("feedback", "owners") is None
    assert layers.broken_rule("feedback", "notifications") is None
    assert layers.broken_rule("owners", "api") is None
    assert layers.broken_rule("config", "feedback") is None
    assert layers.broken_rule("demo", "feedback") is None
    assert layers.broken_rule("api", "common") is None
    assert layers.broken_rule("reporting", "surveys") is None
    assert layers.broken_rule("quality", "visits") is None  # a nonconformity is verified by a re-visit
    assert layers.broken_rule("visits", "quality") == "visits comes before quality in the layer order"
    assert layers.broken_rule("api", "owners") == "api depends on common only"
    assert layers.broken_rule("demo", "analytics") is None  # the demo makes last month's packs
    assert layers.broken_rule("reporting", "analytics") == "nothing but config and demo depends on analytics"
    assert layers.broken_rule("owners", "demo") == "only config and demo depend on demo"
    assert layers.broken_rule("owners", "billing") == (
        "billing is not in the layer order (estatedesk/common/layers.py)"
    )
