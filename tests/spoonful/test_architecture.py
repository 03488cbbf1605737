"""The layout docs/architecture.md promises: no module imports itself back through others.

import-linter (`lint-imports`, run by .ci/run) checks the layers; this checks what its
contracts cannot say in one line: that the app modules' import graph has no circle at all.
Migrations are left out: they import only Django and their own app's history.
"""

import re
from pathlib import Path

import grimp

APP_PACKAGES = ("spoonful", "accounts", "community", "discussions", "moderation", "notifications", "conversations")


def _import_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(
        *APP_PACKAGES, include_external_packages=False, exclude_type_checking_imports=True, cache_dir=None
    )
    modules = {module for module in graph.modules if ".migrations" not in module}
    return {module: graph.find_modules_directly_imported_by(module) & modules for module in modules}


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_app_module_imports_itself_back_through_others():
    assert _circles(_import_graph()) == []


def _app_sources():
    root = Path(__file__).resolve().parents[2]
    for package in APP_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(root).as_posix(), path.read_text()


# The only places allowed to wait for a commit: the publish API (live events, best effort)
# and the job API (which does so only when tests run jobs in-process).
AFTER_COMMIT_ALLOWED = {"discussions/events.py", "spoonful/jobs.py"}


def test_follow_up_work_goes_through_the_job_api_not_threads_or_commit_hooks():
    threads = [name for name, source in _app_sources() if re.search(r"\bThread\(", source)]
    hooks = [name for name, source in _app_sources() if "on_commit(" in source and name not in AFTER_COMMIT_ALLOWED]
    robust = [name for name, source in _app_sources() if "robust=True" in source]
    assert (threads, hooks, robust) == ([], [], [])
