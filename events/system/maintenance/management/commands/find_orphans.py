import json as jsonlib

from django.core.management.base import BaseCommand

from events.ops.console import ProgressBar
from events.ops.orphans import Finding, orphans_fix, orphans_report
from events.system.maintenance.orphans import ORPHAN_KINDS


class Command(BaseCommand):
    help = (
        "Find data that belongs to nothing any more (unused tags, deliveries whose event is "
        "gone, expired leases ...), report each kind found as OrphanedDataDetected and, with "
        "--fix, fix them through the services."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--fix", action="store_true", help="Fix what is found.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list: publish and change nothing."
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *, fix: bool, dry_run: bool, json: bool, **options) -> None:
        bar = ProgressBar(self.stdout, total=len(ORPHAN_KINDS), label="Looking", enabled=not json)
        findings = []
        for kind in ORPHAN_KINDS:
            findings.append(Finding(kind, kind.find()))
            bar.update(len(findings))
        bar.close()
        fixed: dict[str, int] = {}
        if not dry_run:
            orphans_report(findings)
            if fix:
                fixed = orphans_fix(findings)
        if json:
            listed = [
                finding.as_dict() | {"fixed": fixed.get(finding.kind.name, 0)}
                for finding in findings
            ]
            payload = {"dry_run": dry_run, "fix": fix, "kinds": listed}
            self.stdout.write(jsonlib.dumps(payload, indent=2))
            return
        for finding in findings:
            line = f"{len(finding.ids):>6}  {finding.kind.name}: {finding.kind.description}"
            if finding.ids:
                line += f" (e.g. {', '.join(finding.ids[:3])})"
            if finding.kind.name in fixed:
                line += f"; fixed {fixed[finding.kind.name]}"
            self.stdout.write(line)
        found = sum(len(finding.ids) for finding in findings)
        if not found:
            self.stdout.write("No orphaned data.")
        elif fix and not dry_run:
            self.stdout.write(f"Fixed {sum(fixed.values())} of {found}.")
        else:
            self.stdout.write(f"{found} found; --fix fixes them.")
