# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require "stringio"
require_relative "../lib/kfk"

# Logs and statistics through the Ruby binding.
class ObserveTest < Minitest::Test
  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  def test_logger_and_statistics
    topic = "rbobserve-#{SecureRandom.hex(6)}"
    out = StringIO.new
    logger = Logger.new(out, level: Logger::DEBUG)
    stats = []
    Kfk::Client.open(brokers: @brokers, client_id: "rb-observe", debug: "broker", statistics_interval_ms: 100,
                     logger: logger, on_stats: ->(doc) { stats << doc }) do |kafka|
      12.times { kafka.produce(topic, "0123456789", partition: 0) }
      kafka.flush
      deadline = Time.now + 60
      kafka.poll(0.05) until (stats.last && stats.last["msgs_produced"] == 12) || Time.now > deadline
    end
    doc = stats.last
    assert_equal "rb-observe", doc["client_id"]
    assert_equal 12, doc["msgs_produced"]
    assert_equal 120, doc["bytes_produced"]
    assert(doc["brokers"].values.all? { |b| b["requests"].positive? })
    assert_match(/DEBUG -- kfk: broker: connected to /, out.string)
  end

  def test_without_a_logger_nothing_is_sent
    client = Kfk::Client.new(brokers: "127.0.0.1:1")
    assert_nil client.instance_variable_get(:@logger)
    client.close
  end

  def test_bad_options
    err = assert_raises(Kfk::Error) { Kfk::Client.new(brokers: @brokers, log_level: "loud") }
    assert_match(/log_level/, err.message)
    err = assert_raises(Kfk::Error) { Kfk::Client.new(brokers: @brokers, debug: "cgrp") }
    assert_match(/cgrp/, err.message)
  end
end
