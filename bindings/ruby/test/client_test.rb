# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"

class ClientTest < Minitest::Test
  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  def test_produce_consume_round_trip
    topic = "rbclient-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, "compression.type" => "lz4") do |kafka|
      reports = Array.new(20) { |i| kafka.produce(topic, "v#{i}", key: "k#{i}", partition: 0, headers: { "h" => "x" }) }
      kafka.flush
      offsets = reports.map { |r| r.value.offset }
      assert_equal (0...20).to_a, offsets.sort
      assert_equal topic, reports.first.value.topic
      kafka.assign([{ topic: topic, partition: 0, offset: -2 }])
      got = []
      kafka.each_message.each { |m| got << m; break if got.size >= 20 }
      assert_equal %w[k0 k1 k2], got.first(3).map(&:key)
      assert_equal "v0".b, got.first.value
      assert_equal [["h", "x".b]], got.first.headers
    end
  end

  def test_group_subscribe
    topic = "rbgroup-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers) do |p|
      10.times { |i| p.produce(topic, "m#{i}") }
      p.flush
    end
    assigned = nil
    Kfk::Client.open(brokers: @brokers) do |kafka|
      kafka.subscribe([topic], group_id: "rb-#{SecureRandom.hex(4)}", auto_offset_reset: "earliest",
                               heartbeat_interval_ms: 300, on_assign: ->(parts) { assigned = parts })
      seen = []
      40.times do
        seen.concat(kafka.consume)
        break if seen.size >= 10
      end
      assert_equal 10, seen.size
      assert_equal topic, assigned.first["topic"]
      kafka.commit
      kafka.unsubscribe
    end
  end

  def test_transactions
    topic = "rbtxn-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers, transactional_id: "rbtxn-#{SecureRandom.hex(4)}") do |p|
      assert_raises(Kfk::Error) { p.produce(topic, "outside") }
      p.begin_transaction
      3.times { |i| p.produce(topic, "c#{i}", partition: 0) }
      p.send_offsets_to_transaction("rbtxn-group-#{SecureRandom.hex(4)}", [{ topic: topic, partition: 0, offset: 1 }])
      p.commit_transaction
      p.begin_transaction
      p.produce(topic, "aborted", partition: 0)
      p.abort_transaction
    end
    Kfk::Client.open(brokers: @brokers, isolation_level: "read_committed") do |c|
      c.assign([{ topic: topic, partition: 0, offset: -2 }])
      got = []
      5.times { got.concat(c.consume.map(&:value)) }
      assert_equal %w[c0 c1 c2], got
    end
  end

  def test_bad_option_names_the_key
    err = assert_raises(Kfk::Error) { Kfk::Client.new(brokers: @brokers, acks: 9) }
    assert_equal "KFK_ERR_CONFIG", err.name
    assert_match(/acks/, err.message)
  end
end
