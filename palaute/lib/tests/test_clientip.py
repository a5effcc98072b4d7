from palaute.lib.clientip import client_ip


def test_without_trusted_proxies_only_remote_addr_counts(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    meta = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client_ip(meta) == "10.0.0.5"


def test_one_proxy_takes_the_entry_it_wrote_not_what_the_client_sent(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_ip({"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}) == (
        "198.51.100.7"
    )
    spoofed = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 198.51.100.7"}
    assert client_ip(spoofed) == "198.51.100.7"


def test_two_proxies_count_from_the_right(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7, 10.0.0.1"}
    assert client_ip(meta) == "198.51.100.7"


def test_missing_or_short_header_falls_back(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_ip({"REMOTE_ADDR": "10.0.0.2"}) == "10.0.0.2"
    assert client_ip({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": " , "}) == "10.0.0.2"
    assert client_ip({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}) == (
        "198.51.100.7"
    )
