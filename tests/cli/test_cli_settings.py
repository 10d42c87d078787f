"""Every setting is checked where it enters (option, environment, config file), before any request,
with one line naming it; none is quietly replaced by another."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web
from cli_support import Cli, serving_in_thread, tls_proxy

from imgperms_async.emulator import Emulator


def refused_before_any_request(emulator: Emulator, result: object, *named: str) -> None:
    assert result.exit_code == 2  # type: ignore[attr-defined]
    output = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    for text in named:
        assert text in output
    assert emulator.requests == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "",
        "notaurl",
        "ftp://x",
        "http://127.0.0.1:99999",
        "http://[::1",
        "http://user:secret@127.0.0.1:1",
        "http://127.0.0.1:1/?query",
        "http://127.0.0.1:1/#fragment",
        " http://127.0.0.1:1",
        "http://127.0.0.1:1 ",
    ],
)
def test_an_empty_or_malformed_endpoint_is_a_usage_error(
    cli: Cli, threaded_emulator: Emulator, endpoint: str
) -> None:
    threaded_emulator.reset_log()

    result = cli("audit", "wsi-aaaaaaaaa", "--region", "us-east-1", "--endpoint-url", endpoint)

    refused_before_any_request(threaded_emulator, result, "--endpoint-url", repr(endpoint))


def test_a_malformed_endpoint_from_the_environment_names_the_variable(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", "notaurl")

    result = cli("audit", "wsi-aaaaaaaaa", "--region", "us-east-1")

    refused_before_any_request(threaded_emulator, result, "AWS_ENDPOINT_URL_WORKSPACES")


@pytest.mark.parametrize("region", ["", "US-EAST-1", "us east 1", "-us-east-1"])
def test_a_region_that_is_not_a_region_name_is_a_usage_error(
    cli: Cli, threaded_emulator: Emulator, region: str
) -> None:
    result = cli.audit("wsi-aaaaaaaaa", "--region", region)

    refused_before_any_request(threaded_emulator, result, "--region")


def test_a_region_given_twice_is_audited_once(cli: Cli, threaded_emulator: Emulator) -> None:
    image_id = threaded_emulator.owned_image_ids[0]

    result = cli.audit(image_id, "--region", "us-east-1", "--format", "json")

    assert result.exit_code == 0
    assert result.stdout.count(image_id) == 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
@pytest.mark.parametrize("option", ["--max-rate", "--connect-timeout", "--read-timeout"])
def test_a_number_that_cannot_work_is_a_usage_error(
    cli: Cli, threaded_emulator: Emulator, option: str, value: str
) -> None:
    result = cli.audit("wsi-aaaaaaaaa", option, value)

    refused_before_any_request(threaded_emulator, result, option)


@pytest.mark.parametrize("value", ["banana", "-1", "0", "2.5"])
def test_a_bad_aws_max_attempts_is_named_even_when_the_option_overrides_it(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", value)

    result = cli.audit("wsi-aaaaaaaaa", "--max-attempts", "2")

    refused_before_any_request(threaded_emulator, result, "AWS_MAX_ATTEMPTS", repr(value))


def test_a_bad_max_attempts_in_the_config_file_names_the_profile(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "aws-config").write_text("[default]\nmax_attempts = banana\n")

    result = cli.audit("wsi-aaaaaaaaa")

    refused_before_any_request(threaded_emulator, result, "max_attempts", "'default'")


def test_an_unknown_aws_retry_mode_is_refused(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "bogus")

    result = cli.audit("wsi-aaaaaaaaa")

    refused_before_any_request(threaded_emulator, result, "AWS_RETRY_MODE", "standard, adaptive")


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_missing_or_broken_ca_bundle_is_named_at_start(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    content: str | None,
) -> None:  # fmt: skip
    bundle = tmp_path / "bundle.pem"
    if content is not None:
        bundle.write_text(content)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))

    result = cli.audit("wsi-aaaaaaaaa")

    refused_before_any_request(threaded_emulator, result, str(bundle))


def test_a_credential_process_that_prints_no_json_is_one_line(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    (tmp_path / "aws-config").write_text("[default]\ncredential_process = echo not-json\n")

    result = cli.audit("wsi-aaaaaaaaa")

    refused_before_any_request(threaded_emulator, result, "credential")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_read_timeout_option_reaches_the_client(emulator_keys: dict[str, str]) -> None:
    with Emulator(images=2, seed=1, latency=0.3) as slow:
        result = Cli(slow.endpoint_url).audit(
            slow.owned_image_ids[0], "--read-timeout", "0.1", "--max-attempts", "1",
            "--format", "json",
        )  # fmt: skip

    assert result.exit_code == 3
    assert "ReadTimeoutError" in result.stdout


@pytest.fixture
def tls_emulator_url(emulator_keys: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The emulator behind a TLS proxy with a certificate no system trusts, and its CA bundle."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(images=5, seed=2) as emulator, tls_proxy(emulator.endpoint_url, context) as url:
        yield url, bundle


@pytest.mark.parametrize("trust", ["--ca-bundle", "--no-verify-ssl"])
def test_tls_options_reach_the_client(tls_emulator_url: tuple[str, Path], trust: str) -> None:
    url, bundle = tls_emulator_url
    options = ["--ca-bundle", str(bundle)] if trust == "--ca-bundle" else ["--no-verify-ssl"]

    result = Cli(url).audit("--all", "--format", "json", *options)

    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 5


def test_an_untrusted_certificate_stops_at_once_with_one_message(
    tls_emulator_url: tuple[str, Path],
) -> None:
    url, _ = tls_emulator_url

    result = Cli(url).audit("--all")

    assert result.exit_code == 3
    assert "SSLError" in result.stderr
    assert "0 retries" in result.stderr


@pytest.fixture
def counting_server(emulator_keys: dict[str, str]) -> Iterator[tuple[str, list[int]]]:
    """A WorkSpaces endpoint that answers each image after a moment, and records how many
    requests were in flight each time one arrived."""
    in_flight = [0]
    seen: list[int] = []

    async def permissions(request: web.Request) -> web.Response:
        image_id = (await request.json())["ImageId"]
        in_flight[0] += 1
        seen.append(in_flight[0])
        try:
            await asyncio.sleep(0.05)
        finally:
            in_flight[0] -= 1
        return web.json_response(
            {"ImageId": image_id, "ImagePermissions": []},
            content_type="application/x-amz-json-1.1",
        )

    application = web.Application()
    application.router.add_post("/", permissions)
    with serving_in_thread(application) as url:
        yield url, seen


@pytest.mark.parametrize("connections", [2, 6])
def test_max_connections_bounds_the_requests_in_flight(
    counting_server: tuple[str, list[int]], connections: int
) -> None:
    url, seen = counting_server
    ids = [f"wsi-{n:09d}" for n in range(24)]

    result = Cli(url).audit(*ids, "--max-connections", str(connections), "--format", "json")

    assert result.exit_code == 0, result.stderr
    assert len(seen) == len(ids)
    assert max(seen) == connections


@pytest.mark.parametrize("value", ["0", "-1", "5000", "many"])
def test_a_max_connections_that_cannot_work_is_a_usage_error(
    cli: Cli, threaded_emulator: Emulator, value: str
) -> None:
    result = cli.audit("wsi-aaaaaaaaa", "--max-connections", value)

    refused_before_any_request(threaded_emulator, result, "--max-connections")
