"""The ``huiqi`` command line.

Every command prints Chinese for people by default and ``--json`` for
machines.  Bad input ends with a clear message and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from .batch.cli_batch import COMMANDS as BATCH_COMMANDS
from .batch.cli_batch import add_parsers as add_batch_parsers
from .batch.diff import add_parser as add_diff_parser
from .batch.diff import cmd_batch_diff
from .core.explain import render_text, to_dict
from .core.facts import ScenarioError
from .policyfile import DEFAULT_POLICY_DIR, PolicyFileError
from .service import Engine, InputError, engine, os_error_text

__all__ = ["COMMANDS", "ChineseArgumentParser", "build_parser", "main"]


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_evaluate(args: argparse.Namespace, eng: Engine) -> int:
    scenario = eng.scenario_file(Path(args.scenario))
    result = eng.evaluate(scenario)
    if args.json:
        _print_json(to_dict(result))
    else:
        print(render_text(result))
    return 0


def cmd_policies(args: argparse.Namespace, eng: Engine) -> int:
    from .policy_view import list_documents, show_article, show_document

    today = date.today()
    if args.document is None:
        listing = list_documents(eng, today)
        if args.json:
            _print_json(listing)
        else:
            for d in listing:
                print(
                    f"{d['id']:<16} {d['status']:<4} {d['title']}（{d['issuer']}，{d['valid_from']}至{d['valid_to'] or '长期'}，{d['benefit_count']}项）"
                )
        return 0
    doc = eng.library.by_id.get(args.document)
    if doc is None:
        known = "、".join(eng.library.by_id)
        raise InputError(f"没有编号为“{args.document}”的政策文件；可用：{known}")
    data = show_document(eng, doc, today) if args.article is None else show_article(eng, doc, args.article)
    if args.json:
        _print_json(data)
    else:
        print(data["text"])
    return 0


def cmd_facts(args: argparse.Namespace, eng: Engine) -> int:
    from .policy_view import facts_catalogue, render_facts

    if args.json:
        _print_json(facts_catalogue(eng))
    else:
        print(render_facts(eng))
    return 0


def cmd_plan(args: argparse.Namespace, eng: Engine) -> int:
    from .core.plan import plan_dict, render_plan
    from .policyfile.plan_loader import load_plan

    plan = load_plan(eng.policy_dir / "suzhou-2016-plan.yaml", eng.policy_dir / "texts")
    today = date.today()
    if args.json:
        _print_json(plan_dict(plan, today))  # the same dict as /api/plan
    else:
        print(render_plan(plan, today))
    return 0


def cmd_compare(args: argparse.Namespace, eng: Engine) -> int:
    from .compare import compare, render_compare

    scenario = eng.scenario_file(Path(args.scenario))
    regions = args.regions or [scenario.enterprise.region, "320412" if scenario.enterprise.region != "320412" else "320506"]
    data = compare(eng, scenario, regions)
    if args.json:
        _print_json(data)
    else:
        print(render_compare(data))
    return 0


def cmd_coverage(args: argparse.Namespace, eng: Engine) -> int:
    from .core.coverage import CoverageError, render_coverage
    from .core.coverage import to_dict as coverage_dict
    from .policyfile.coverage import coverage
    from .policyfile.plan_loader import PlanFileError

    try:
        run = coverage(eng.library, eng.policy_dir)
    except (CoverageError, PlanFileError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    reports = run.reports
    if args.document is not None:
        reports = run.select(args.document)
        if not reports:
            known = "、".join(r.document_id or r.file for r in run.reports)
            raise InputError(f"没有编号或文件名为“{args.document}”的原文；可用：{known}")
    if args.json:
        _print_json([coverage_dict(r, uncited=args.uncovered) for r in reports])
    else:
        print(render_coverage(reports, uncited=args.uncovered), end="")
    failing = [r for r in reports if r.role == "measures" and r.uncited]
    # a number inside a rule's quote that no part encodes: often a rule that took its number from
    # the wrong words of its clause (the tests hold the bundled texts at 0)
    unencoded = [r for r in reports if r.role == "measures" and r.cited_not_encoded]
    if args.strict and (failing or unencoded):
        if failing:
            names = "、".join(f"{r.document_id or r.file}（{r.uncited}处）" for r in failing)
            print(f"未引用的数字：{names}", file=sys.stderr)
        if unencoded:
            names = "、".join(f"{r.document_id or r.file}（{len(r.cited_not_encoded)}处）" for r in unencoded)
            print(f"仅引用未编码的数字：{names}", file=sys.stderr)
        return 1
    return 0


def cmd_examples(args: argparse.Namespace, eng: Engine) -> int:
    from .examples import check_example, example_files, uncovered_benefits
    from .policyfile.reader_base import shown_path

    paths = [Path(p) for p in args.paths] or [eng.policy_dir / "examples"]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += example_files(p)
        elif p.is_file():
            files.append(p)
        elif args.paths:  # a policy folder's own examples/ is optional (docs/rule-language.md): none yet is no error
            raise InputError(f"算例文件或文件夹不存在：{p}")
    if not files and args.paths:
        raise InputError(f"没有算例文件（*.yaml）：{'、'.join(map(str, paths))}")
    results = [check_example(eng, f) for f in files]
    failed = [r for r in results if r.problems]
    uncovered = uncovered_benefits(eng, files) if not args.paths else {}
    if args.json:
        _print_json(
            {
                "examples": [
                    {"file": str(r.path), "title": r.title, "passed": not r.problems, "problems": list(r.problems)}
                    for r in results
                ],
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "benefits_without_example": uncovered,
            }
        )
        return 1 if failed else 0
    for r in results:
        print(f"{'✓' if not r.problems else '✗'} {shown_path(r.path)}　{r.title}")
        for problem in r.problems:
            print(f"    - {problem}")
        if r.got:
            print("    实际结果：")
            print("\n".join(f"    {line}" for line in r.got.splitlines()))
    if not results:
        print(f"政策文件夹中还没有算例（{shown_path(paths[0])}/<文件编号>/*.yaml），没有可核对的金额")
    print(f"共{len(results)}个算例：通过{len(results) - len(failed)}个，未通过{len(failed)}个")
    for doc_id, missing in uncovered.items():
        print(f"提示：《{eng.library.by_id[doc_id].short}》以下奖补项没有算例断言其金额：{'、'.join(missing)}")
    return 1 if failed else 0


# The event loop the workers run: asyncio's, with TCP_NODELAY and one accept per wake-up
# (connections kept even between workers; huiqi.web.serving says why uvloop and
# plain asyncio were not used).
LOOP = "huiqi.web.serving:event_loop"


def cmd_serve(args: argparse.Namespace, eng: Engine) -> int:
    import uvicorn

    from .web import create_app, root_path
    from .web.app import MAX_UPLOAD
    from .web.batchjobs import MAX_UPLOAD_ENV, max_upload_from_env, upload_limit
    from .web.serving import log_config

    if args.data is not None and not args.data.strip():  # "" meant ~/.local/share/huiqi without a word
        raise InputError(
            "--data不能为空：请指定数据目录，如--data /var/lib/huiqi（不写--data则用$HUIQI_DATA或~/.local/share/huiqi）"
        )
    data_dir = Path(args.data) if args.data is not None else None
    from . import native

    if args.workers < 1:
        raise InputError(f"--workers应为正整数：{args.workers}")
    _check_listen(args.host, args.port)
    root = root_path(args.root_path) if args.root_path else ""
    limit = upload_limit(args.max_upload, "--max-upload") if args.max_upload is not None else max_upload_from_env(MAX_UPLOAD)
    # the settings and the data folder checked here, once: a worker that fails at its start is
    # started again and again by uvicorn, each printing a traceback, and nothing listens
    app = create_app(eng, data_dir, limit, root=root)
    host = f"[{args.host}]" if ":" in args.host else args.host  # an IPv6 address in a URL
    where = f"http://{host}:{args.port}{root}/" if args.port else f"http://{host}:（端口由系统分配）{root}/"
    print(f"惠企网页：{where}  （Ctrl+C 停止；规则核心{native.status()}）", file=sys.stderr)
    if args.workers > 1:
        import os

        from .web.serving import BALANCE_ENV, new_balance_file

        os.environ["HUIQI_POLICIES"] = str(eng.policy_dir)
        if data_dir is not None:
            os.environ["HUIQI_DATA"] = str(data_dir)
        os.environ["HUIQI_ROOT_PATH"] = root
        os.environ[MAX_UPLOAD_ENV] = str(Decimal(limit) / 1_000_000)
        counts: str | None
        try:  # the workers' open connections, kept even (without the file they are not balanced)
            counts = os.environ[BALANCE_ENV] = new_balance_file()
        except OSError:
            counts = None
        try:
            uvicorn.run(
                "huiqi.web.asgi:app_from_env",
                factory=True,
                workers=args.workers,
                host=args.host,
                port=args.port,
                log_level="warning",
                loop=LOOP,
                server_header=False,  # no "server: uvicorn" to tell what runs here
                log_config=log_config(),
            )
        finally:
            if counts is not None:
                with contextlib.suppress(OSError):
                    os.unlink(counts)
        return 0
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", loop=LOOP, server_header=False, log_config=log_config())
    return 0


def _check_listen(host: str, port: int) -> None:
    """The address ``huiqi serve`` is to listen on can be bound: said in Chinese before the server
    starts (uvicorn says it in English, or with a traceback for a port past 65535)."""
    import errno
    import socket

    if not 0 <= port <= 65535:
        raise InputError(f"--port应为0～65535之间的端口号：{port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InputError(f"无法识别的监听地址--host：{host}") from None
    family, kind, proto, _, address = infos[0]
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"端口{port}已被占用（另一个服务正在{shown}上监听）：请换一个端口（--port）或先停止那个服务"
                ) from None
            reasons = {
                errno.EADDRNOTAVAIL: "本机没有这个地址（--host 应为本机的一个地址，如127.0.0.1或0.0.0.0）",
                errno.EACCES: "没有权限使用这个端口（1024以下的端口须以管理员身份运行，或换一个端口）",
            }
            raise InputError(f"无法在{shown}上监听：{reasons.get(exc.errno or 0, exc.strerror or str(exc))}") from None


COMMANDS: dict[str, Callable[[argparse.Namespace, Engine], int]] = {
    "evaluate": cmd_evaluate,
    "policies": cmd_policies,
    "facts": cmd_facts,
    "plan": cmd_plan,
    "compare": cmd_compare,
    "coverage": cmd_coverage,
    "examples": cmd_examples,
    "serve": cmd_serve,
    **BATCH_COMMANDS,
    "batch-diff": cmd_batch_diff,
}


# What a value given to an option should be, by the name of its ``type=`` function.
_TYPE_WORDS = {"int": "整数", "float": "数值", "fromisoformat": "日期YYYY-MM-DD"}


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse telling its mistakes (and its help headings) in Chinese; exit status 2 as before.

    Subcommands' parsers are of the same class (``add_subparsers`` makes them so)."""

    def __init__(self, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{self.chinese(message)}\n")

    def _help_of(self, name: str) -> str:
        for action in self._actions:
            if name in action.option_strings or name in (action.metavar, action.dest):
                return f"（{action.help}）" if action.help and action.help is not argparse.SUPPRESS else ""
        return ""

    def chinese(self, message: str) -> str:
        """argparse's English message in Chinese (its own words when it is not one of these)."""
        if m := re.fullmatch(r"the following arguments are required: (.*)", message):
            names = m.group(1).split(", ")
            if names == ["command"]:
                return "缺少命令；可用：" + "、".join(self._commands())
            return "缺少必需的参数：" + "；".join(f"{n}{self._help_of(n)}" for n in names)
        if m := re.fullmatch(r"unrecognized arguments: (.*)", message):
            return f"无法识别的参数：{m.group(1)}"
        if m := re.fullmatch(r"ambiguous option: (\S+) could match (.*)", message):
            return f"选项{m.group(1)}不明确，可能是：{m.group(2).replace(', ', '、')}"
        if m := re.fullmatch(r"one of the arguments (.*) is required", message):
            return f"{m.group(1)}之中须给出一个"
        m = re.fullmatch(r"argument (.+?): (.*)", message, re.S)
        if not m:
            return message
        name, detail = m.groups()
        if m := re.fullmatch(r"invalid (\w+) value: (.*)", detail):
            word = _TYPE_WORDS.get(m.group(1), "有效的值")
            return f"{name} 应为{word}，收到“{_literal(m.group(2))}”"
        if m := re.fullmatch(r"invalid choice: (.*) \(choose from (.*)\)", detail):
            value, choices = str(_literal(m.group(1))), [str(c) for c in _literal(f"[{m.group(2)}]")]
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f"（是否为“{close[0]}”？）" if close else ""
            if name == "command":
                return f"未知的命令“{value}”{hint}；可用：{'、'.join(choices)}"
            return f"{name} 的值“{value}”不在可选范围内{hint}；可选：{'、'.join(choices)}"
        counts = {
            "expected one argument": "一个值",
            "expected at least one argument": "至少一个值",
            "expected at most one argument": "至多一个值",
        }
        if detail in counts:
            return f"{name} 之后应给出{counts[detail]}"
        if m := re.fullmatch(r"expected (\d+) arguments?", detail):
            return f"{name} 之后应给出{m.group(1)}个值"
        if m := re.fullmatch(r"not allowed with argument (.*)", detail):
            return f"{name} 不能与 {m.group(1)} 同时使用"
        if m := re.fullmatch(r"ignored explicit argument (.*)", detail):
            return f"{name} 不接受值“{_literal(m.group(1))}”"
        return f"{name}：{detail}"

    def _commands(self) -> list[str]:
        sub = next((a for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
        return list(sub.choices) if sub is not None else []


class _EpilogFormatter(argparse.RawDescriptionHelpFormatter, _Formatter):
    """The options wrapped as usual, the epilog (``serve``'s environment variables) as written."""


_SERVE_EPILOG = """\
环境变量：
  HUIQI_DATA             数据目录（未给--data时使用；设了则不能为空）
  HUIQI_BATCH_KEEP_DAYS  名单测算任务及其上传文件、结果的保留天数（默认7，可为小数；0为不自动删除）
  HUIQI_ROOT_PATH        同--root-path，供 uvicorn --factory huiqi.web.asgi:app_from_env 启动时使用
  HUIQI_MAX_UPLOAD_MB    同--max-upload（未给--max-upload时使用）
  HUIQI_POLICIES         政策文件目录，同全局选项--policies，供上述 uvicorn 启动方式使用（默认内置政策）
  TMPDIR                 名单测算运行时的临时文件夹（huiqi-batch-*）所在位置
数据目录：保存的测算情景长期保留、不过期；上传的zip包解压后保存，估算磁盘空间时按解压后的大小计。
--workers大于1时，停止服务须停止整个进程组（systemd：KillMode=control-group）；
只用SIGKILL结束父进程时，各工作进程仍会继续服务。"""


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="huiqi", description="惠企：制造业支持政策测算（规则即代码）")
    parser.add_argument("--policies", type=Path, default=DEFAULT_POLICY_DIR, help="政策文件目录（默认：内置政策）")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("evaluate", help="测算一个情景（YAML或JSON）可享受的支持")
    p.add_argument("scenario", help="情景文件路径，见 examples/scenarios/")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser("policies", help="列出政策文件，或显示一个文件/条款及其编码")
    p.add_argument("document", nargs="?", help="政策文件编号，如 wuzhong-2025")
    p.add_argument("article", nargs="?", help="条款号（按原文），如 8 或 十六")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser("facts", help="列出事实目录：企业字段与事项类型")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser("plan", help="显示苏州市“十三五”工业发展规划的指标、重点产业、附件政策与其他数字（附引文）")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser("compare", help="同一情景在不同地区注册时的测算对比")
    p.add_argument("scenario", help="情景文件路径")
    p.add_argument(
        "--in", dest="regions", action="append", metavar="CODE", help="行政区划代码，可重复，如 --in 320506 --in 320412"
    )
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser("coverage", help="原文数字引用覆盖：每个金额、比例、数量是否被规则引用或列入排除清单")
    p.add_argument("document", nargs="?", help="文件编号或原文文件名，如 wuzhong-2025")
    p.add_argument("--uncovered", action="store_true", help="列出每个未引用的数字（行号与上下文）")
    p.add_argument("--strict", action="store_true", help="政策措施原文（规划除外）中有未引用或仅引用未编码的数字时以状态1退出")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser("examples", help="运行政策文件旁的算例（policies/examples），核对每个算例的应得结果")
    p.add_argument("paths", nargs="*", help="算例文件或文件夹（默认：政策文件夹下的examples）")
    p.add_argument("--json", action="store_true", help="输出JSON")
    p = sub.add_parser(
        "serve",
        help="启动网页与JSON接口（政策库、企业测算、地区对比、名单测算、规划）",
        epilog=_SERVE_EPILOG,
        formatter_class=_EpilogFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认127.0.0.1）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认8000）")
    p.add_argument(
        "--data",
        help="数据目录：保存的测算情景（不过期）与名单测算的上传文件和结果（默认$HUIQI_DATA或~/.local/share/huiqi）",
    )
    p.add_argument(
        "--workers", type=int, default=1, help="工作进程数（默认1；多核服务器可设为核数；多个进程时各进程的连接数保持均衡）"
    )
    p.add_argument(
        "--root-path",
        default="",
        help="经反向代理挂在子路径下时的路径前缀，如/huiqi（页面链接都以它开头；代理去掉或保留前缀均可）",
    )
    p.add_argument(
        "--max-upload",
        metavar="MB",
        help="名单测算上传文件的大小上限，单位MB（默认20；反向代理的上限须同样调高）",
    )
    add_batch_parsers(sub)
    add_diff_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        eng = engine(args.policies.resolve())
        return COMMANDS[args.command](args, eng)
    except (ScenarioError, InputError, PolicyFileError) as exc:
        return _refused(args, str(exc))
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file that cannot be written or read after the checks (disk full, removed meanwhile)
        return _refused(args, os_error_text(exc))


def _refused(args: argparse.Namespace, message: str) -> int:
    """Exit status 2 with the message on standard error; with ``--json`` also as JSON on standard output, so
    that a scheduler reading the output gets an answer it can parse (``{"error": …}``) rather than nothing."""
    print(f"错误：{message}", file=sys.stderr)
    if getattr(args, "json", False):
        _print_json({"error": message})
    return 2


if __name__ == "__main__":
    sys.exit(main())
