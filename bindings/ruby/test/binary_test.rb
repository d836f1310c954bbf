# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# Keys, values and headers are bytes: every path that sends or hands them
# back keeps them exactly — every byte value, NULs anywhere, 100 KB, empty
# apart from nil, and a UTF-8 String sent as its bytes (bytesize, not
# length). Values come back BINARY; header keys are text (UTF-8) holding
# the bytes sent, as in Conn#fetch's result.
class BinaryTest < Minitest::Test
  include BrokerHelpers

  ALL_BYTES = (0..255).to_a.pack("C*")
  UTF8 = "clé ✓ 日本語 🎉"

  RECORDS = [
    { key: ALL_BYTES, value: ALL_BYTES.reverse, headers: [[ALL_BYTES, ALL_BYTES], ["h\0k", "\0v\0"]] },
    { key: "\0", value: "a\0b\0\0c", headers: [["\0", "\0\0"]] },
    { key: nil, value: SecureRandom.random_bytes(100_000), headers: [["empty", ""], ["nil", nil]] },
    { key: "", value: "", headers: [["", ""]] },
    { key: "", value: nil, headers: nil },
    { key: nil, value: nil, headers: [] },
    { key: UTF8, value: UTF8 * 3, headers: [[UTF8, UTF8]] },
  ].freeze

  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  def new_topic(client)
    topic = "rbbinary-#{SecureRandom.hex(6)}"
    created = client.create_topics([{ name: topic, num_partitions: 1, replication_factor: 1 }])
    assert_equal 0, created["topics"][0]["error_code"]
    topic
  end

  # nil stays nil; anything else comes back as its bytes, BINARY.
  def assert_bytes(expected, got, what)
    if expected.nil?
      assert_nil got, what
    else
      assert_equal Encoding::BINARY, got.encoding, "#{what} encoding"
      assert_equal expected.b, got, what
    end
  end

  # key, value and headers ([[key, value]...]) as they came back equal
  # record's.
  def assert_record(record, key, value, headers, what)
    assert_bytes record[:key], key, "#{what} key"
    assert_bytes record[:value], value, "#{what} value"
    sent = record[:headers] || []
    assert_equal sent.size, headers.size, "#{what} header count"
    sent.zip(headers).each_with_index do |((k, v), (got_k, got_v)), i|
      assert_equal Encoding::UTF_8, got_k.encoding, "#{what} header #{i} key encoding"
      assert_equal k.b, got_k.b, "#{what} header #{i} key"
      assert_bytes v, got_v, "#{what} header #{i} value"
    end
  end

  def assert_messages(messages, what)
    assert_equal RECORDS.size, messages.size, "#{what}: message count"
    RECORDS.zip(messages).each_with_index do |(record, m), i|
      assert_record(record, m.key, m.value, m.headers, "#{what} record #{i}")
    end
  end

  # Client#produce: each delivery report names its record's offset (and
  # carries no payload); reading from the beginning gives every record back.
  def test_produce_then_assign
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      topic = new_topic(kafka)
      requests = RECORDS.map { |r| kafka.produce(topic, r[:value], key: r[:key], partition: 0, headers: r[:headers]) }
      kafka.flush
      reports = requests.map(&:value)
      assert_equal (0...RECORDS.size).to_a, reports.map(&:offset)
      assert(reports.all? { |r| r.topic == topic && r.partition.zero? && r.key.nil? && r.value.nil? && r.headers.empty? })
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      assert_messages consume(kafka, RECORDS.size), "assign"
    end
  end

  # Client#produce_many, read back by a group member.
  def test_produce_many_then_subscribe
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      topic = new_topic(kafka)
      assert_nil kafka.produce_many(RECORDS.map { |r| r.merge(topic: topic, partition: 0) }).value
      kafka.subscribe([topic], group_id: "rbbinary-#{SecureRandom.hex(4)}", auto_offset_reset: "earliest",
                               heartbeat_interval_ms: 300)
      assert_messages consume(kafka, RECORDS.size), "subscribe"
      kafka.unsubscribe
    end
  end

  # Conn#produce_batch and Conn#fetch: the result tree's BYTES and STR.
  def test_conn_produce_batch_then_fetch
    host, port = @brokers.split(",").first.split(":")
    conn = Kfk::Conn.new
    conn.connect(host, port.to_i).value
    topic = Kfk::Client.open(brokers: @brokers) { |admin| new_topic(admin) }
    assert_equal 0, conn_produce_when_led(conn, topic, RECORDS)
    records = conn.fetch(topic, 0, 0).value.dig("topics", 0, "partitions", 0, "records")
    assert_equal RECORDS.size, records.size
    RECORDS.zip(records).each_with_index do |(record, r), i|
      assert_record(record, r["key"], r["value"], (r["headers"] || {}).to_a, "fetch record #{i}")
    end
  ensure
    conn&.close
  end
end

# The hash functions take a String's bytes too. No broker is needed.
class BinaryUtilitiesTest < Minitest::Test
  def test_hashes_take_every_byte
    assert_equal 0x8A9136AA, Kfk.crc32c("\0" * 32) # RFC 3720's vector: NULs count
    refute_equal Kfk.crc32c("a"), Kfk.crc32c("a\0")
    refute_equal Kfk.murmur2("a"), Kfk.murmur2("a\0b")
    assert_equal Kfk.murmur2(BinaryTest::UTF8.b), Kfk.murmur2(BinaryTest::UTF8)
    assert_equal Kfk.crc32c(BinaryTest::UTF8.b), Kfk.crc32c(BinaryTest::UTF8)
  end
end
