"""The `lesionlens pacs` argument parser: argparse only, so `lesionlens --help` stays quick
(the commands themselves are in engine.pacs.commands)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_pacs_parser(sub: argparse._SubParsersAction, home: argparse.ArgumentParser) -> None:
    pacs = sub.add_parser("pacs", help="PACS nodes: search, retrieve and send studies")
    actions = pacs.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", parents=[home], help="add or replace a PACS node")
    add.add_argument("name", metavar="NAME")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--dicomweb", metavar="URL", help="DICOMweb base URL (QIDO/WADO/STOW)")
    where.add_argument("--aet", metavar="AE", help="the PACS AE title (classic DICOM)")
    add.add_argument("--host", default="", metavar="H")
    add.add_argument("--port", type=int, default=0, metavar="P")
    add.add_argument("--our-aet", default="LESIONLENS", metavar="AE", help="our own AE title")
    add.add_argument("--user", default="", metavar="U", help="DICOMweb: HTTP basic user name")
    add.add_argument(
        "--password-env", default="", metavar="VAR", help="basic auth password from $VAR"
    )
    add.add_argument("--token-env", default="", metavar="VAR", help="bearer token from $VAR")
    add.add_argument("--timeout", type=float, default=20.0, metavar="S")

    actions.add_parser("list", parents=[home], help="the configured nodes")
    remove = actions.add_parser("remove", parents=[home], help="forget a node")
    remove.add_argument("name", metavar="NAME")
    echo = actions.add_parser("echo", parents=[home], help="test the connection (C-ECHO/QIDO)")
    echo.add_argument("name", metavar="NAME")

    find = actions.add_parser("find", parents=[home], help="search studies")
    find.add_argument("name", metavar="NAME")
    find.add_argument("--patient-id", default="", metavar="ID")
    find.add_argument("--patient-name", default="", metavar="NAME", help="* matches anything")
    find.add_argument("--modality", default="", metavar="M")
    find.add_argument("--since", default="", metavar="YYYYMMDD")
    find.add_argument("--until", default="", metavar="YYYYMMDD")
    find.add_argument("--accession", default="", metavar="A")
    find.add_argument("--series", action="store_true", help="also list each study's series")
    find.add_argument("--json", type=Path, default=None, metavar="F", help="write results here")

    get = actions.add_parser("get", parents=[home], help="retrieve a study (resumes)")
    get.add_argument("name", metavar="NAME")
    get.add_argument("study_uid", metavar="STUDY_UID")
    get.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="default: <data root>/pacs"
    )

    send = actions.add_parser("send", parents=[home], help="store DICOM files (SEG, SR, SC)")
    send.add_argument("name", metavar="NAME")
    send.add_argument("files", nargs="+", type=Path, metavar="FILE")
