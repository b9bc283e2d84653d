"""Shared helpers of the interop scripts (run with /usr/bin/python3, JSON on stdout).

Records travel as JSON objects with bytes in hex:
  {"p": partition, "o": offset, "ts": timestamp ms, "tt": "create"|"logappend",
   "k": hex|null, "v": hex|null, "h": [[name, hex|null], ...]}
A records file given to a producer holds {"records": [...]} with p/ts optional.
"""
import argparse
import json
import logging
import sys


def hexb(b):
    return None if b is None else bytes(b).hex()


def unhex(h):
    return None if h is None else bytes.fromhex(h)


def load_records(path):
    with open(path, 'r', encoding='utf-8') as f:
        return json.load(f)['records']


def parse_config(pairs):
    """`--config key=value` (repeatable) to a dict; values that look like ints become ints."""
    out = {}
    for pair in pairs or []:
        k, _, v = pair.partition('=')
        if v.lstrip('-').isdigit():
            v = int(v)
        elif v in ('true', 'false'):
            v = v == 'true'
        out[k] = v
    return out


def parse_api_version(text):
    """'0.10.1' -> (0, 10, 1); '' or None -> None (auto-detect)."""
    if not text:
        return None
    return tuple(int(x) for x in text.split('.'))


def base_parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--bootstrap', required=True)
    p.add_argument('--config', action='append', default=[], help='client property key=value')
    return p


def emit(obj):
    json.dump(obj, sys.stdout, separators=(',', ':'))
    sys.stdout.write('\n')
    sys.stdout.flush()


class LogCollector(logging.Handler):
    """Keeps a client's log lines so that a failing test can show them."""

    def __init__(self, limit=400):
        super().__init__(logging.DEBUG)
        self.lines = []
        self.limit = limit

    def emit(self, record):
        if len(self.lines) < self.limit:
            try:
                self.lines.append('%s %s %s' % (record.levelname, record.name, record.getMessage()))
            except Exception:  # a client's odd format arguments must not kill the script
                self.lines.append('%s %s %r' % (record.levelname, record.name, record.msg))


def collect_logs(logger_name, level=logging.WARNING):
    collector = LogCollector()
    logger = logging.getLogger(logger_name)
    logger.setLevel(level)
    logger.addHandler(collector)
    logger.propagate = False
    return collector


def error_dict(e):
    """A Kafka error (confluent KafkaError or a kafka-python exception) as JSON."""
    if e is None:
        return None
    if hasattr(e, 'code') and callable(getattr(e, 'code')) and hasattr(e, 'name') and callable(getattr(e, 'name')):
        return {'code': e.code(), 'name': e.name(), 'str': e.str()}
    name = type(e).__name__
    code = getattr(e, 'errno', None)
    return {'code': code, 'name': name, 'str': str(e)}
