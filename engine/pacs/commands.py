"""`lesionlens pacs ...`: the PACS commands of the CLI (engine.cli only adds the parser).

    lesionlens pacs add NAME (--dicomweb URL [--user U --password-env VAR | --token-env VAR]
                              | --aet AE --host H --port P) [--our-aet AE] [--timeout S]
    lesionlens pacs list | remove NAME | echo NAME
    lesionlens pacs find NAME [--patient-id ID] [--patient-name N] [--modality M]
                              [--since YYYYMMDD] [--until YYYYMMDD] [--accession A] [--json F]
    lesionlens pacs get NAME STUDY_UID [--out DIR]     (default: <data root>/pacs)
    lesionlens pacs send NAME FILE...

Passwords and tokens are read from an environment variable (or typed at a prompt), never
from the command line, where other users and the shell history would see them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from engine.atomic import write_json_atomic
from engine.pacs.client import check_connection, connect
from engine.pacs.nodes import HttpAuth, NodeBook, NodeConfigError, PacsNode, Secret
from engine.pacs.query import StudyQuery
from engine.pacs.retrieve import retrieve_study, retrieved_root
from engine.pacs.send import send_files
from engine.progress import StepProgress

EXIT_OK = 0


def run_pacs(args: argparse.Namespace) -> int:
    book = NodeBook(args.home)
    return COMMANDS[args.action](args, book)


def _add(args: argparse.Namespace, book: NodeBook) -> int:
    auth = HttpAuth()
    if args.dicomweb:
        if args.token_env:
            auth = HttpAuth("bearer", "", Secret(_secret_from(args.token_env, "token")))
        elif args.user:
            password = _secret_from(args.password_env, f"password for {args.user}")
            auth = HttpAuth("basic", args.user, Secret(password))
    elif args.user or args.password_env or args.token_env:
        raise NodeConfigError("--user, --password-env and --token-env are for DICOMweb nodes")
    node = PacsNode(
        name=args.name,
        dicomweb_url=args.dicomweb or "",
        ae_title=args.aet or "",
        host=args.host,
        port=args.port,
        calling_ae_title=args.our_aet,
        auth=auth,
        timeout_s=args.timeout,
    )
    node = book.save(node)
    print(f"{node.name}: {node.kind} {node.address} (saved in {book.path})")
    return EXIT_OK


def _secret_from(variable: str, what: str) -> str:
    if variable:
        value = os.environ.get(variable, "")
        if not value:
            raise NodeConfigError(f"${variable} is empty or not set (the {what})")
        return value
    if not sys.stdin.isatty():
        raise NodeConfigError(f"no {what}: pass --password-env VAR or --token-env VAR")
    return getpass.getpass(f"{what}: ")


def _list(args: argparse.Namespace, book: NodeBook) -> int:
    for node in book.load().values():
        auth = f", {node.auth.kind} auth" if node.auth.kind != "none" else ""
        print(f"{node.name}\t{node.kind}\t{node.address}\tus: {node.calling_ae_title}{auth}")
    return EXIT_OK


def _remove(args: argparse.Namespace, book: NodeBook) -> int:
    book.remove(args.name)
    print(f"removed {args.name}")
    return EXIT_OK


def _echo(args: argparse.Namespace, book: NodeBook) -> int:
    print(check_connection(book.get(args.name)))
    return EXIT_OK


def _find(args: argparse.Namespace, book: NodeBook) -> int:
    node = book.get(args.name)
    query = StudyQuery(
        patient_id=args.patient_id,
        patient_name=args.patient_name,
        date_from=args.since,
        date_to=args.until,
        modality=args.modality,
        accession=args.accession,
    )
    with connect(node) as pacs:
        studies = pacs.find_studies(query)
        listed = []
        for study in studies:
            entry = study.to_json()
            print(
                f"{study.study_uid}\t{study.study_date}\t{study.patient_id}\t"
                f"{'/'.join(study.modalities)}\t{study.instance_count or '?'} instance(s)\t"
                f"{study.description}"
            )
            if args.series:
                series = pacs.find_series(study.study_uid)
                entry["series"] = [
                    {
                        "SeriesInstanceUID": s.series_uid,
                        "Modality": s.modality,
                        "SeriesNumber": s.number,
                        "SeriesDescription": s.description,
                        "NumberOfSeriesRelatedInstances": s.instance_count,
                    }
                    for s in series
                ]
                for s in series:
                    print(f"  {s.series_uid}\t{s.modality}\t#{s.number}\t{s.description}")
            listed.append(entry)
    print(
        f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'} on {node.name}", file=sys.stderr
    )
    if args.json is not None:
        write_json_atomic(
            args.json,
            {
                "node": node.name,
                "query": query.checked().filters(),
                "StudyInstanceUIDs": [s.study_uid for s in studies],
                "studies": listed,
            },
        )
    return EXIT_OK


def _get(args: argparse.Namespace, book: NodeBook) -> int:
    node = book.get(args.name)
    dest = args.out if args.out is not None else retrieved_root(args.home)
    steps = retrieve_study(node, args.study_uid, dest)
    bar: StepProgress | None = None
    try:
        while True:
            progress = next(steps)
            if bar is None:
                bar = StepProgress(progress.total, "retrieving", unit="instance", every=1)
            bar.step(n=progress.done - bar.done, postfix=f"{progress.bytes_received / 1e6:.1f} MB")
    except StopIteration as done:
        study = done.value
    finally:
        if bar is not None:
            bar.close()
    reused = f" ({study.reused} already there)" if study.reused else ""
    print(f"{len(study.files)} instance(s){reused} -> {study.folder}", file=sys.stderr)
    print(study.folder)
    return EXIT_OK


def _send(args: argparse.Namespace, book: NodeBook) -> int:
    node = book.get(args.name)
    steps = send_files(node, args.files)
    try:
        while True:
            print(next(steps), file=sys.stderr)
    except StopIteration as done:
        result = done.value
    print(f"sent {len(result.sent)} file(s) to {node.name}")
    return EXIT_OK


COMMANDS = {
    "add": _add,
    "list": _list,
    "remove": _remove,
    "echo": _echo,
    "find": _find,
    "get": _get,
    "send": _send,
}
