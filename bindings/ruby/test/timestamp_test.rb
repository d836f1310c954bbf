# frozen_string_literal: true

require "minitest/autorun"
require "minitest/mock"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# Record timestamps: what the binding hands the library on produce (0 is
# a valid time; nil or negative means "now", -1), and the timestamp and
# timestamp_type it reads back from delivery reports and messages.
class TimestampTest < Minitest::Test
  include BrokerHelpers

  FIXED = 1_600_000_000_000
  SENT = [0, FIXED, nil, -1, -5].freeze
  HANDED = [0, FIXED, -1, -1, -1].freeze # what the library must get for SENT

  # Stubs the library function name, collecting the timestamp of each
  # message (or record) it is given, read through struct at argument at.
  def handed(name, struct, at, count_at = nil)
    seen = []
    stub = lambda do |*args|
      n = count_at ? args[count_at] : 1
      n.times { |i| seen << struct.new(args[at].to_ptr + i * struct.size)[:timestamp] }
      0
    end
    Kfk::FFI.stub(name, stub) { yield }
    seen
  end

  def test_produce_hands_the_timestamp_over
    client = Kfk::Client.new(brokers: "127.0.0.1:1")
    seen = handed(:kfk_produce, Kfk::FFI::Message, 1) { SENT.each { |ts| client.produce("t", "v", partition: 0, timestamp: ts) } }
    assert_equal HANDED, seen
    assert_equal [-1], handed(:kfk_produce, Kfk::FFI::Message, 1) { client.produce("t", "v", partition: 0) }
  ensure
    client&.close(timeout: 0.1)
  end

  def test_produce_many_hands_the_timestamps_over
    client = Kfk::Client.new(brokers: "127.0.0.1:1")
    records = SENT.map { |ts| { topic: "t", value: "v", partition: 0, timestamp: ts } } + [{ topic: "t", partition: 0 }]
    assert_equal HANDED + [-1], handed(:kfk_produce_many, Kfk::FFI::Message, 1, 2) { client.produce_many(records) }
  ensure
    client&.close(timeout: 0.1)
  end

  def test_conn_produce_batch_hands_the_timestamps_over
    conn = Kfk::Conn.new
    records = SENT.map { |ts| { value: "v", timestamp: ts } } + [{ value: "v" }]
    assert_equal HANDED + [-1], handed(:kfk_conn_produce_batch, Kfk::FFI::Record, 3, 4) { conn.produce_batch("t", 0, records) }
  ensure
    conn&.close
  end

  # Kfk.message reads every field of a kfk_message_t, timestamp_type too,
  # for a consumed message and for a delivery report.
  def test_message_fields_are_read
    Kfk::FFI::TIMESTAMP_LOG_APPEND_TIME.then do |type|
      topic = ::FFI::MemoryPointer.from_string("topic")
      key = ::FFI::MemoryPointer.from_string("k\0k")
      m = Kfk::FFI::Message.new
      m[:topic] = topic
      m[:partition] = 2
      m[:offset] = 7
      m[:timestamp] = FIXED
      m[:key] = key
      m[:key_len] = 3
      m[:timestamp_type] = type
      consumed = Kfk.message(m, true)
      # delivery_count: nil outside a share group
      assert_equal ["topic", 2, 7, FIXED, "k\0k".b, nil, [], type, nil], consumed.to_a
      report = Kfk.message(m, false)
      assert_equal ["topic", 2, 7, FIXED, nil, nil, [], type, nil], report.to_a
    end
  end

  # Messages, keys and values are read by address through one Pointer
  # for the whole address space: whole, wherever they lie (here the key
  # below the message in memory, the value above it).
  def test_message_bytes_below_and_above_it
    key_mem, msg_mem, value_mem = Array.new(3) { ::FFI::MemoryPointer.new(:char, 512) }
                                       .sort_by(&:address)
    key = "\0k\xffey".b
    value = (0..255).to_a.pack("C*")
    key_mem.put_bytes(0, key)
    value_mem.put_bytes(0, value)
    topic = ::FFI::MemoryPointer.from_string("topic")
    m = Kfk::FFI::Message.new(msg_mem)
    m[:topic] = topic
    m[:partition] = 1
    m[:offset] = 9
    m[:key] = key_mem
    m[:key_len] = key.bytesize
    m[:value] = value_mem
    m[:value_len] = value.bytesize
    m[:reserved] = 3 # the delivery count
    got = Kfk.message(msg_mem, true)
    assert_equal ["topic", 1, 9, key, value, 3], got.to_a.values_at(0, 1, 2, 4, 5, 8)
  end

  def test_broker_timestamps
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    Kfk::Client.open(brokers: ENV["KFK_TEST_BROKERS"], linger_ms: 2) do |kafka|
      topic = "rbts-#{SecureRandom.hex(6)}"
      kafka.create_topics([{ name: topic, num_partitions: 1 }])
      sent = [FIXED, nil, -5]
      before = now_ms
      reports = sent.map { |ts| kafka.produce(topic, "p", partition: 0, timestamp: ts) }
      assert_nil kafka.produce_many(sent.map { |ts| { topic: topic, value: "m", partition: 0, timestamp: ts } }).value
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      got = consume(kafka, 6)
      assert_equal 6, got.size
      got.zip(sent * 2).each do |m, ts|
        if ts == FIXED
          assert_equal FIXED, m.timestamp
        else # nil or negative: now
          assert_recent before, m.timestamp
        end
        assert_equal Kfk::FFI::TIMESTAMP_CREATE_TIME, m.timestamp_type
      end
      assert_equal got.first(3).map(&:timestamp), reports.map { |r| r.value.timestamp }
      reports.each { |r| assert_equal Kfk::FFI::TIMESTAMP_CREATE_TIME, r.value.timestamp_type }
    end
  end

  # A topic with LogAppendTime keeps the broker's time, not the producer's.
  def test_log_append_time
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    Kfk::Client.open(brokers: ENV["KFK_TEST_BROKERS"], linger_ms: 2) do |kafka|
      topic = "rbts-log-#{SecureRandom.hex(6)}"
      kafka.create_topics([{ name: topic, num_partitions: 1, config: { "message.timestamp.type" => "LogAppendTime" } }])
      before = now_ms
      kafka.produce(topic, "v", partition: 0, timestamp: FIXED).value
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      m = consume(kafka, 1).first
      assert_recent before, m.timestamp
      assert_equal Kfk::FFI::TIMESTAMP_LOG_APPEND_TIME, m.timestamp_type
    end
  end

  # The timestamp on the Conn path: 0 stays 0 there.
  def test_conn_timestamps
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    host, port = ENV["KFK_TEST_BROKERS"].split(",").first.split(":")
    conn = Kfk::Conn.new
    conn.connect(host, port.to_i).value
    topic = "rbts-conn-#{SecureRandom.hex(6)}"
    assert_equal 0, conn.create_topics([{ name: topic, num_partitions: 1, replication_factor: 1 }]).value["topics"][0]["error_code"]
    before = now_ms
    assert_equal 0, conn_produce_when_led(conn, topic, SENT.map { |ts| { value: "v", timestamp: ts } })
    stamps = conn.fetch(topic, 0, 0).value.dig("topics", 0, "partitions", 0, "records").map { |r| r["timestamp"] }
    assert_equal [0, FIXED], stamps.first(2)
    stamps.drop(2).each { |ts| assert_recent before, ts }
  ensure
    conn&.close
  end

  # kfk.h: a produced timestamp of 0 "and above are stored as they are".
  # 0 is a valid time (1970-01-01), kept all the way to the consumer.
  def test_zero_timestamp_through_the_client
    Kfk::Client.open(brokers: ENV.fetch("KFK_TEST_BROKERS"), linger_ms: 2) do |kafka|
      topic = "rbts-zero-#{SecureRandom.hex(6)}"
      kafka.create_topics([{ name: topic, num_partitions: 1 }])
      assert_equal 0, kafka.produce(topic, "v", partition: 0, timestamp: 0).value.timestamp
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      assert_equal [0], consume(kafka, 1).map(&:timestamp)
    end
  end

  private

  # ts is "now" as seen between before and this call; a second either
  # side: the producer derives wall time from a base it renews each second.
  def assert_recent(before, ts)
    assert_includes (before - 1000)..(now_ms + 1000), ts
  end
end
