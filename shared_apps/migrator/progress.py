"""Render the engine's progress events: a bar on a terminal, plain lines otherwise."""

from typing import Any


class ProgressRenderer:
    """A progress callback for `fleet_migrate` that writes to a command's stdout."""

    def __init__(self, stdout, style, *, quiet: bool = False, verbosity: int = 1) -> None:
        self.stdout, self.style, self.quiet, self.verbosity = stdout, style, quiet, verbosity
        # Django's OutputWrapper answers isatty() for the stream it wraps.
        self.tty = bool(getattr(stdout, "isatty", lambda: False)())
        self.last_percent = -1
        self.failed = 0

    def __call__(self, event: str, **data: Any) -> None:
        if self.quiet or (self.verbosity == 0 and event != "tenant"):
            return
        getattr(self, f"on_{event}", lambda **_: None)(**data)

    def write(self, text: str) -> None:
        self.stdout.write(text)

    def on_planned(self, groups, current, skipped) -> None:
        behind = sum(len(group.schemas) for group in groups)
        self.write(
            f"Tenants: {behind} to migrate in {len(groups)} group(s), {current} current, "
            f"{len(skipped)} skipped (not active)."
        )
        for schema, status in skipped:
            self.write(f"  skipped {schema}: tenant is {status}")
        for number, group in enumerate(groups, 1):
            names = ", ".join(group.schemas[:5]) + (" …" if len(group.schemas) > 5 else "")
            self.write(f"Group {number}: {len(group.schemas)} tenant(s) [{names}]")
            for migration, backwards in group.plan:
                arrow = "Unapply" if backwards else "Apply"
                self.write(f"  {arrow} {migration.app_label}.{migration.name}")
        if not groups:
            self.write(self.style.SUCCESS("All tenants are current; nothing to do."))

    def on_orphan_closed(self, run) -> None:
        self.write(
            self.style.WARNING(
                f"Run {run.id} was left running by a command that is gone (the fleet lock was "
                f"free); recorded as {run.status} with {run.done_count} done. Finish it with: "
                f"manage.py migrate_schemas --resume {run.id}"
            )
        )

    def on_backup(self, path) -> None:
        self.write(f"Backup written to {path}")

    def on_tenant(self, outcome, done, total) -> None:
        if outcome.status == "failed":
            self.failed += 1
            self.write(self.style.ERROR(f"  {outcome.schema} failed: {outcome.error}"))
        elif self.verbosity > 1:
            self.write(f"  {outcome.schema} done in {outcome.duration_ms} ms")
        if self.verbosity == 0:
            return
        percent = done * 100 // total
        if self.tty:
            bar = "#" * (percent // 4)
            self.stdout.write(f"\r[{bar:<25}] {done}/{total} ({self.failed} failed)", ending="")
            self.stdout.flush()
            if done == total:
                self.stdout.write("")
        elif percent // 10 != self.last_percent // 10 or done == total:
            self.write(f"  {done}/{total} tenants ({percent}%, {self.failed} failed)")
        self.last_percent = percent

    def on_canary_failed(self, failed) -> None:
        self.write(self.style.ERROR(f"Canary stopped the run: {len(failed)} failure(s)."))

    def on_finished(self, run) -> None:
        message = (
            f"Run {run.id}: {run.status} — {run.done_count} done, {run.failed_count} "
            f"failed, {run.skipped_count} skipped."
        )
        self.write(
            self.style.SUCCESS(message) if run.status == "done" else self.style.ERROR(message)
        )


def summary(result, request, seconds: float) -> dict:
    """Return the machine-readable summary printed by `--json`."""
    run = result.run
    return {
        "run_id": str(run.id) if run else None,
        "status": run.status if run else ("planned" if request.plan_only else "current"),
        "executor": request.executor,
        "workers": request.workers,
        "target": request.target.describe(),
        "tenants": {
            "migrated": sum(1 for o in result.outcomes if o.status == "done"),
            "failed": len(result.failed),
            "current": result.current,
            "skipped": len(result.skipped),
        },
        "groups": [
            {
                "schemas": len(g.schemas),
                "plan": [("-" if b else "+") + f"{m.app_label}.{m.name}" for m, b in g.plan],
            }
            for g in result.groups
        ],
        "failed": [{"schema": o.schema, "error": o.error} for o in result.failed],
        "skipped": [{"schema": s, "status": st} for s, st in result.skipped],
        "backup": result.backup_path,
        "seconds": round(seconds, 3),
    }
