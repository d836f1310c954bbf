# frozen_string_literal: true

require "minitest/autorun"
require "base64"
require "json"
require "securerandom"
require_relative "../lib/kfk"

# SASL/OAUTHBEARER from Ruby: tokens from an oauth_token callable, from
# the test token endpoint (OIDC), and the error when there is none.
class OAuthTest < Minitest::Test
  def setup
    skip "KFK_TEST_OAUTH_BROKERS is not set (use make test)" unless ENV["KFK_TEST_OAUTH_BROKERS"]
    @brokers = ENV["KFK_TEST_OAUTH_BROKERS"]
  end

  # An unsigned JWT, as the test broker's OAUTHBEARER listener accepts.
  def unsigned_jwt(principal, life = 600)
    enc = ->(s) { Base64.urlsafe_encode64(s, padding: false) }
    now = Time.now.to_i
    "#{enc.call('{"alg":"none"}')}.#{enc.call(JSON.generate(sub: principal, iat: now, exp: now + life))}."
  end

  def options
    { brokers: @brokers, "security.protocol" => "SASL_PLAINTEXT", sasl_mechanism: "OAUTHBEARER" }
  end

  # A client of options, closed after the block.
  def with_client(options, **kwargs)
    kafka = Kfk::Client.new(options, **kwargs)
    yield kafka
  ensure
    kafka&.close
  end

  def test_oauth_token_callable_produces
    asked = 0
    token = lambda do
      asked += 1
      [unsigned_jwt("kfk-ruby"), Time.now + 600, "kfk-ruby", { "traceId" => "rb-1" }]
    end
    with_client(options, oauth_token: token) do |kafka|
      kafka.connect
      report = kafka.produce("oauth-rb-#{SecureRandom.hex(6)}", "via oauth_token".b, partition: 0)
      assert_equal 0, report.value.offset
    end
    assert_operator asked, :>=, 1
  end

  def test_oauth_token_that_raises_fails_the_connect
    broken = -> { raise "the vault is sealed" }
    with_client(options.merge(request_timeout_ms: 5000), oauth_token: broken) do |kafka|
      err = assert_raises(Kfk::Error) { kafka.connect }
      assert_equal "KFK_ERR_SASL", err.name
      assert_match(/the vault is sealed/, err.message)
    end
  end

  def test_oidc_options_produce
    skip "no OIDC listener (KFK_TEST_OIDC_BROKERS)" unless ENV["KFK_TEST_OIDC_BROKERS"]
    oidc = { brokers: ENV["KFK_TEST_OIDC_BROKERS"], "security.protocol" => "SASL_PLAINTEXT",
             "sasl.mechanisms" => "OAUTHBEARER", "sasl.oauthbearer.method" => "oidc",
             "sasl.oauthbearer.token.endpoint.url" => ENV.fetch("KFK_TEST_OIDC_TOKEN_URL"),
             "sasl.oauthbearer.client.id" => ENV.fetch("KFK_TEST_OIDC_CLIENT_ID"),
             "sasl.oauthbearer.client.secret" => ENV.fetch("KFK_TEST_OIDC_CLIENT_SECRET") }
    with_client(oidc) do |kafka|
      kafka.connect
      assert_equal 0, kafka.produce("oidc-rb-#{SecureRandom.hex(6)}", "signed", partition: 0).value.offset
    end
  end
end
