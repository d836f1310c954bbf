# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# SASL/GSSAPI (Kerberos) from Ruby, against the test broker's GSSAPI
# listener and the test KDC: a client logging in with a keytab and with a
# password, a wrong password's error, and a Conn with a keytab.
class GSSAPITest < Minitest::Test
  include BrokerHelpers

  def setup
    skip "KFK_TEST_GSSAPI_BROKERS is not set (use make test)" unless ENV["KFK_TEST_GSSAPI_BROKERS"]
    @brokers = ENV["KFK_TEST_GSSAPI_BROKERS"]
    @wrong = "not-the-password-#{SecureRandom.hex(4)}"
  end

  # The krb5.conf is always named: the system's is not the test realm's.
  def options(**extra)
    { brokers: @brokers, "security.protocol" => "SASL_PLAINTEXT", "sasl.mechanisms" => "GSSAPI",
      "sasl.kerberos.service.name" => ENV.fetch("KFK_TEST_KRB5_SERVICE"),
      sasl_kerberos_config: ENV.fetch("KFK_TEST_KRB5_CONFIG") }.merge(extra)
  end

  def keytab_login
    { "sasl.kerberos.keytab" => ENV.fetch("KFK_TEST_KRB5_KEYTAB"),
      "sasl.kerberos.principal" => ENV.fetch("KFK_TEST_KRB5_PRINCIPAL") }
  end

  def password_login
    { sasl_username: ENV.fetch("KFK_TEST_KRB5_USER"), sasl_password: ENV.fetch("KFK_TEST_KRB5_PASS") }
  end

  # Produces a record with NUL and 0xff bytes through GSSAPI and reads it
  # back from the start of its partition.
  def assert_round_trip(login, what)
    topic = "gssapi-rb-#{what}-#{SecureRandom.hex(6)}"
    key = "k\0\xff".b
    value = "\0kerberos\xff#{what}\0".b
    client = Kfk::Client.new(options(**login))
    client.connect
    assert_equal 0, client.produce(topic, value, key: key, partition: 0).value.offset
    client.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
    got = consume_until(client, 30) { |msgs| msgs.any? { |m| m.value == value } }.find { |m| m.value == value }
    refute_nil got, "#{what}: the record was not read back"
    assert_equal key, got.key
    assert_equal Encoding::BINARY, got.value.encoding
  ensure
    client&.close
  end

  def test_client_with_a_keytab_produces_and_consumes
    assert_round_trip(keytab_login, "keytab")
  end

  def test_client_with_a_password_produces_and_consumes
    assert_round_trip(password_login, "password")
  end

  def test_client_wrong_password_fails_the_connect
    errors = []
    client = Kfk::Client.new(options(**password_login, sasl_password: @wrong, request_timeout_ms: 5000),
                             on_error: ->(e) { errors << e })
    err = assert_raises(Kfk::Error) { client.connect }
    assert_equal "KFK_ERR_SASL", err.name
    assert_match(/Kerberos login of #{Regexp.escape(ENV.fetch("KFK_TEST_KRB5_USER"))}/, err.message)
    refute_includes err.message, @wrong
    # The client's ERROR event comes before connect's result: on_error was told.
    assert_equal [err.message], errors.map(&:message), "on_error got the same error, once"
  ensure
    client&.close
  end

  # The first GSSAPI listener's host and port, for a Kfk::Conn.
  def listener
    host, port = @brokers.split(",").first.split(":")
    [host, port.to_i]
  end

  def test_conn_authenticates_with_a_keytab
    host, port = listener
    conn = Kfk::Conn.new
    err = assert_raises(Kfk::Error) { conn.kerberos(nil, ENV.fetch("KFK_TEST_KRB5_KEYTAB")) }
    assert_equal "KFK_ERR_STATE", err.name, "kerberos before sasl(\"GSSAPI\")"
    conn.sasl("GSSAPI", ENV.fetch("KFK_TEST_KRB5_PRINCIPAL"))
    conn.kerberos(ENV.fetch("KFK_TEST_KRB5_SERVICE"), ENV.fetch("KFK_TEST_KRB5_KEYTAB"), ENV.fetch("KFK_TEST_KRB5_CONFIG"))
    conn.connect(host, port, timeout: 10).value
    assert conn.connected?
    refute_empty conn.metadata.value["brokers"]
  ensure
    conn&.close
  end

  def test_conn_wrong_password_reaches_on_error
    host, port = listener
    conn = Kfk::Conn.new
    conn.sasl("GSSAPI", ENV.fetch("KFK_TEST_KRB5_USER"), @wrong)
    conn.kerberos(nil, nil, ENV.fetch("KFK_TEST_KRB5_CONFIG")) # the default service, kafka
    told = []
    conn.on_error { |e| told << e }
    err = assert_raises(Kfk::Error) { conn.connect(host, port, timeout: 10).value }
    assert_equal "KFK_ERR_SASL", err.name
    assert_match(/Kerberos login/, err.message)
    refute_includes err.message, @wrong
    assert_equal [err.message], told.map(&:message), "on_error got the same error"
  ensure
    conn&.close
  end
end
