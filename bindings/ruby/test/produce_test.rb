# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# delivery_reports: "failed", where a record produced without a block is
# reported only when it fails.
class ProduceTest < Minitest::Test
  include BrokerHelpers

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
