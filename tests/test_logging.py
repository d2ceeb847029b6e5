import json
import logging

from newsroom.logging import JsonFormatter


def test_log_lines_are_json_with_extra_fields():
    record = logging.LogRecord("nashra", logging.INFO, __file__, 1, "sent %s", ("digest",), None)
    record.digest_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sent digest" and line["level"] == "INFO" and line["digest_id"] == 7
