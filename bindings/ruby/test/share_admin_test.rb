# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"

# The share-group admin calls against the broker. Moving a new share
# group's start offset creates it (empty, no members), which is all these
# calls need.
class ShareAdminTest < Minitest::Test
  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    @brokers = ENV["KFK_TEST_BROKERS"]
  end

  def test_share_group_admin
    topic = "rbshareadmin-#{SecureRandom.hex(6)}"
    group = "rbsharegroup-#{SecureRandom.hex(6)}"
    Kfk::Client.open(brokers: @brokers) do |admin|
      assert_equal 0, admin.create_topics([{ name: topic, num_partitions: 1 }])["topics"][0]["error_code"]
      5.times { |i| admin.produce(topic, "r#{i}", partition: 0) }
      admin.flush

      altered = admin.alter_share_group_offsets(group, [{ topic: topic, partition: 0, offset: 1 }])
      assert_equal({ "partitions" => [{ "topic" => topic, "partition" => 0, "error_code" => 0, "error_message" => nil }] },
                   altered)
      assert_includes admin.list_share_groups(["empty"])["groups"], { "group_id" => group, "state" => "empty" }
      refute(admin.list_share_groups(["stable"])["groups"].any? { |g| g["group_id"] == group })
      described = admin.describe_share_groups([group])["groups"][0]
      assert_equal [group, 0, "empty", []], described.values_at("group_id", "error_code", "state", "members")
      assert_equal({ "#{topic}:0" => { "start_offset" => 1, "latest" => 5, "lag" => 4 } }, admin.share_group_offsets(group))
      admin.alter_share_group_offsets(group, [{ topic: topic, partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
      assert_equal 0, admin.share_group_offsets(group)["#{topic}:0"]["start_offset"]

      forgotten = admin.delete_share_group_offsets(group, [topic])
      assert_equal({ "topics" => [{ "topic" => topic, "error_code" => 0, "error_message" => nil }] }, forgotten)
      assert_equal({}, admin.share_group_offsets(group))

      unknown = "rbnosuchgroup-#{SecureRandom.hex(6)}"
      gone = admin.delete_groups([group, unknown])["groups"]
      assert_equal [[group, 0], [unknown, 69]], gone.map { |g| g.values_at("group_id", "error_code") } # GROUP_ID_NOT_FOUND
      err = assert_raises(Kfk::Error) { admin.delete_share_group_offsets(group, [topic]) }
      assert_equal 69, err.code
      assert_equal "KFK_ERR_INVALID_ARG", assert_raises(Kfk::Error) { admin.describe_share_groups([]) }.name
      admin.delete_topics([topic])
    end
  end
end
