# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# Client#produce_values (kfk_produce_values: records as columns), the
# produce_many that goes through it, and delivery_reports: "failed", where
# a record produced without a block is reported only when it fails.
class ProduceTest < Minitest::Test
  include BrokerHelpers

  ALL_BYTES = (0..255).to_a.pack("C*")
  UTF8 = "clé ✓ 日本語 🎉"
  # [key, value]: every byte value, NULs, nil apart from "", another
  # encoding sent as its bytes, 100 KB.
  PAIRS = [
    [ALL_BYTES, ALL_BYTES.reverse],
    ["\0", "a\0b\0\0c"],
    [nil, ""],
    ["", nil],
    [nil, nil],
    [UTF8, UTF8 * 3],
    ["k", SecureRandom.random_bytes(100_000)],
  ].freeze

  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  def new_topic(client, partitions = 1)
    topic = "rbproduce-#{SecureRandom.hex(6)}"
    created = client.create_topics([{ name: topic, num_partitions: partitions, replication_factor: 1 }])
    assert_equal 0, created["topics"][0]["error_code"]
    topic
  end

  def assert_bytes(expected, got, what)
    if expected.nil?
      assert_nil got, what
    else
      assert_equal Encoding::BINARY, got.encoding, "#{what} encoding"
      assert_equal expected.b, got, what
    end
  end

  def test_round_trip_keeps_bytes_nil_and_empty
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      topic = new_topic(kafka)
      headers = [["h\0", "\0v"], ["nil", nil]]
      got = nil
      req = kafka.produce_values(topic, PAIRS.map(&:last), keys: PAIRS.map(&:first), partition: 0,
                                                          headers: headers) { |failures| got = [:called, failures] }
      assert_nil req.value
      assert_equal [:called, nil], got
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      messages = consume(kafka, PAIRS.size)
      assert_equal PAIRS.size, messages.size
      PAIRS.zip(messages).each_with_index do |((key, value), m), i|
        assert_bytes key, m.key, "record #{i} key"
        assert_bytes value, m.value, "record #{i} value"
        assert_equal [["h\0", "\0v".b], ["nil", nil]], m.headers, "record #{i} headers"
        assert_equal i, m.offset
      end
    end
  end

  # Values of other types go as their to_s; without keys every key is null.
  def test_values_without_keys_and_not_strings
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      topic = new_topic(kafka)
      assert_nil kafka.produce_values(topic, [1, :sym, "s", nil], partition: 0).value
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      messages = consume(kafka, 4)
      assert_equal ["1", "sym", "s", nil], messages.map(&:value)
      assert_equal [nil] * 4, messages.map(&:key)
    end
  end

  # Strings only (no nil): the values' bytes are joined whatever their
  # encodings, also when Ruby could not join them as text.
  def test_strings_of_clashing_encodings_keep_their_bytes
    values = [UTF8, ALL_BYTES, "d\u00e9j\u00e0".encode("ISO-8859-1"), "", "plain"]
    keys = [ALL_BYTES, UTF8, "", "\0", "k".encode("UTF-16LE")]
    assert_raises(Encoding::CompatibilityError) { values.join }
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      topic = new_topic(kafka)
      assert_nil kafka.produce_values(topic, values, keys: keys, partition: 0).value
      assert_nil kafka.produce_values(topic, %w[same encoding], partition: 0).value
      kafka.assign([{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      messages = consume(kafka, values.size + 2)
      (values + %w[same encoding]).zip(keys + [nil, nil]).each_with_index do |(value, key), i|
        assert_bytes value, messages[i].value, "record #{i} value"
        assert_bytes key, messages[i].key, "record #{i} key"
      end
    end
  end

  # A record the library refuses (too large) is listed by its index; the
  # others are delivered.
  def test_refused_record_is_reported_by_index
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, message_max_bytes: 10_000) do |kafka|
      topic = new_topic(kafka)
      failures = kafka.produce_values(topic, ["a", "b" * 20_000, "c"], partition: 0).value
      assert_equal [1], failures.map { |f| f["index"] }
      assert_equal "MESSAGE_TOO_LARGE", Kfk.error_name(failures[0]["error_code"])
      assert_equal 2, kafka.offsets_for(topic)[0]["latest"]
    end
  end

  def test_errors_are_named
    Kfk::Client.open(brokers: @brokers) do |kafka|
      err = assert_raises(ArgumentError) { kafka.produce_values("t", ["v"], partition: -5) }
      assert_match(/partition/, err.message)
      err = assert_raises(ArgumentError) { kafka.produce_values("t", %w[a b], keys: ["k"]) }
      assert_match(/1 keys for 2 values/, err.message)
      assert_raises(TypeError) { kafka.produce_values("t", "v") }
      # a name Kafka refuses: each record is listed, none is lost
      failures = kafka.produce_values("", %w[a b]).value
      assert_equal [[0, "INVALID_TOPIC_EXCEPTION"], [1, "INVALID_TOPIC_EXCEPTION"]],
                   failures.map { |f| [f["index"], Kfk.error_name(f["error_code"])] }
    end
  end

  # Records of two topics and several partitions: one produce_values call
  # each; failures name the records' own indices.
  def test_produce_many_groups_by_topic_and_partition
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      a = new_topic(kafka, 2)
      b = new_topic(kafka)
      records = [
        { topic: a, value: "a0", partition: 0 }, { topic: b, value: "b0", key: "k" },
        { topic: a, value: "a1", partition: 1 }, { topic: a, value: "a2", partition: 0, headers: {} },
        { topic: b, value: "bad", partition: 7 }, { topic: b, value: "b1", key: nil, timestamp: nil },
      ]
      failures = kafka.produce_many(records).value
      assert_equal [4], failures.map { |f| f["index"] }
      assert_equal 3, failures[0]["error_code"]
      assert_equal({ 0 => 2, 1 => 1 }, kafka.offsets_for(a).transform_values { |o| o["latest"] })
      kafka.assign([{ topic: a, partition: 0, offset: -2 }, { topic: b, partition: 0, offset: -2 }])
      got = consume(kafka, 4).group_by(&:topic).transform_values { |ms| ms.map(&:value) }
      assert_equal %w[a0 a2], got[a]
      assert_equal %w[b0 b1], got[b]
    end
  end

  # A topic with records both with and without a partition keeps its
  # order (kfk_produce_many); one with headers or a timestamp too.
  def test_produce_many_keeps_order_when_it_cannot_group
    Kfk::Client.open(brokers: @brokers, linger_ms: 2) do |kafka|
      topic = new_topic(kafka)
      records = [{ topic: topic, value: "0" }, { topic: topic, value: "1", partition: 0 }, { topic: topic, value: "2" },
                 { topic: topic, value: "3", headers: { "h" => "v" }, timestamp: 5 }]
      assert_nil kafka.produce_many(records).value
      kafka.assign([{ topic: topic, partition: 0, offset: -2 }])
      messages = consume(kafka, 4)
      assert_equal %w[0 1 2 3], messages.map(&:value)
      assert_equal [["h", "v"]], messages[3].headers
      assert_equal 5, messages[3].timestamp
    end
  end

  # delivery_reports: "failed": produce without a block returns nil; a
  # failure goes to on_delivery_error, or flush raises it.
  def test_fire_and_forget_reports_failures_only
    failed = []
    Kfk::Client.open(brokers: @brokers, linger_ms: 2, delivery_reports: "failed",
                     on_delivery_error: ->(report, error) { failed << [report, error] }) do |kafka|
      topic = new_topic(kafka)
      assert_nil kafka.produce(topic, "ok", partition: 0)
      assert_nil kafka.produce(topic, "lost", partition: 9)
      kafka.flush
      assert_equal 1, failed.size
      report, error = failed.first
      assert_equal [topic, 9], [report.topic, report.partition]
      assert_equal 3, error.code
      assert_equal 1, kafka.offsets_for(topic)[0]["latest"]
      # a block still gets its own report, success included
      report = nil
      kafka.produce(topic, "with block", partition: 0) { |r, _e| report = r }.value
      assert_equal 1, report.offset
    end

    Kfk::Client.open(brokers: @brokers, linger_ms: 2, delivery_reports: "failed") do |kafka|
      topic = new_topic(kafka)
      kafka.produce(topic, "lost", partition: 9)
      kafka.produce(topic, "ok", partition: 0)
      err = assert_raises(Kfk::DeliveryError) { kafka.flush }
      assert_equal 3, err.code
      assert_equal [[topic, 9]], err.failures.map { |r, _e| [r.topic, r.partition] }
      kafka.flush # raised once
    end
  end

  def test_closed_client_and_fork
    kafka = Kfk::Client.open(brokers: @brokers)
    pid = fork do
      kafka.produce("t", "v")
      exit!(1)
    rescue Kfk::ForkedError
      exit!(0)
    end
    Process.wait(pid)
    assert_equal 0, $?.exitstatus
    kafka.close
    assert_equal "KFK_ERR_CLOSED", assert_raises(Kfk::Error) { kafka.produce_values("t", ["v"]) }.name
    assert_equal "KFK_ERR_CLOSED", assert_raises(Kfk::Error) { kafka.produce("t", "v") }.name
  end
end

# Objects allocated per record, counted (never timed): the binding makes
# none of its own for a record produced without a block, a few for one
# with a block or a consumed message.
class AllocationTest < Minitest::Test
  include BrokerHelpers

  N = 2000

  def allocations_per(n)
    GC.disable
    before = GC.stat(:total_allocated_objects)
    yield
    (GC.stat(:total_allocated_objects) - before).fdiv(n)
  ensure
    GC.enable
  end

  # No broker: the records just wait in the library's buffer.
  def test_fire_and_forget_produce_allocates_nothing_per_record
    kafka = Kfk::Client.new(brokers: "127.0.0.1:1", delivery_reports: "failed")
    value = "v" * 100
    key = "k"
    kafka.produce("t", value, key: key, partition: 0) # the topic's C string, the fiber's buffers
    per = allocations_per(N) { N.times { kafka.produce("t", value, key: key, partition: 0) } }
    assert_operator per, :<, 0.05
    values = Array.new(N, value)
    per = allocations_per(N) { kafka.produce_values("t", values, partition: 0) }
    assert_operator per, :<, 0.05
    records = Array.new(N) { { topic: "t", value: value, partition: 0 } }
    per = allocations_per(N) { kafka.produce_many(records) }
    assert_operator per, :<, 0.05
  ensure
    assert_raises(Kfk::Error) { kafka&.close(timeout: 0.1) } # the records never left
  end

  def test_reports_and_messages_allocate_a_few_objects
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    Kfk::Client.open(brokers: ENV["KFK_TEST_BROKERS"], linger_ms: 2) do |kafka|
      topic = "rballoc-#{SecureRandom.hex(6)}"
      kafka.produce(topic, "warm-up", partition: 0).value
      done = 0
      on_report = ->(_report, error) { done += 1 unless error }
      per = allocations_per(N) do
        N.times { kafka.produce(topic, "v", partition: 0, &on_report) }
        kafka.flush
      end
      assert_equal N, done
      assert_operator per, :<=, 5 # the Request, the report, reading it
      kafka.assign([{ topic: topic, partition: 0, offset: 1 }])
      got = []
      per = allocations_per(N) { got = consume(kafka, N) }
      assert_equal N, got.size
      assert_operator per, :<=, 5 # the Message, its value, reading it
    end
  end
end
