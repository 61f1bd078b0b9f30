"""http_request.py: one HTTP request for the platform specs (spec/lua/platform_rig.lua),
which have no HTTP client of their own. Prints the status on the first line, then the
answer as a Lua expression (a JSON answer as tables, anything else as a string).

    python3 http_request.py METHOD URL [BODY]
"""
import json
import sys
import urllib.error
import urllib.request


def lua(value):
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(chr(b) if chr(b).isalnum() or chr(b) in " .:-_/" else "\\%03d" % b
                             for b in value.encode("utf-8")) + '"'
    if isinstance(value, list):
        return "{" + ",".join(lua(v) for v in value) + "}"
    return "{" + ",".join("[%s]=%s" % (lua(k), lua(v)) for k, v in value.items()) + "}"


def main():
    method, url = sys.argv[1], sys.argv[2]
    body = sys.argv[3].encode("utf-8") if len(sys.argv) > 3 and sys.argv[3] else None
    content_type = sys.argv[4] if len(sys.argv) > 4 else "application/json"
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        value = json.loads(text)
    except ValueError:
        value = text.decode("utf-8", "replace")
    print(status)
    print(lua(value))


main()
