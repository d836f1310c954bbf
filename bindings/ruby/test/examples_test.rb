# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "securerandom"
require_relative "../lib/kfk"
require_relative "support"

# Every script in examples/ruby runs to success against the test broker.
class ExamplesTest < Minitest::Test
  include BrokerHelpers

  EXAMPLES = File.expand_path("../../../examples/ruby", __dir__)
  LIB = File.expand_path("../lib", __dir__)

  # share_consumer.rb takes arguments and needs records: its own test below.
  SHARE_CONSUMER = File.join(EXAMPLES, "share_consumer.rb")

  (Dir[File.join(EXAMPLES, "*.rb")].sort - [SHARE_CONSUMER]).each do |script|
    define_method("test_#{File.basename(script, '.rb')}") do
      skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
      env = { "KAFKA_BROKER" => ENV["KFK_TEST_BROKERS"].split(",").first, "KAFKA_TOPIC" => "rbexample-#{SecureRandom.hex(6)}", "SECONDS" => "3" }
      out, err, status = Open3.capture3(env, "ruby", "-I#{LIB}", script)
      assert status.success?, "#{File.basename(script)} failed:\n#{err}"
      refute_empty out.strip
    end
  end

  # Two runs in one share group divide a topic's records: the first stops
  # at --count, the second at 10 s without a record.
  def test_share_consumer
    brokers = ENV["KFK_TEST_BROKERS"] or skip "KFK_TEST_BROKERS is not set (use make test)"
    topic = "rbexample-share-#{SecureRandom.hex(6)}"
    group = "rbexample-share-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: brokers) do |c|
      assert_equal 0, c.create_topics([{ name: topic, num_partitions: 2 }])["topics"][0]["error_code"]
      assert_nil c.produce_many(Array.new(20) { |i| { topic: topic, value: "job #{i}", partition: i % 2 } }).value(60)
    end
    share_group_from_earliest(brokers, group)
    runs = [["--count", "15"], []].map do |extra|
      out, err, status = Open3.capture3("ruby", "-I#{LIB}", SHARE_CONSUMER, brokers.split(",").first, topic, group, *extra)
      assert status.success?, "share_consumer.rb #{extra.join(' ')} failed:\n#{err}"
      out.scan(/^\d+:\d+$/)
    end
    assert_equal 15, runs[0].size, "the first run accepts --count records"
    assert_equal Array.new(20) { |i| "#{i % 2}:#{i / 2}" }.sort, runs.flatten.sort,
                 "the second the rest, then leaves when idle: each record accepted once"
  end
end
