# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "securerandom"

# Every script in examples/ruby runs to success against the test broker.
class ExamplesTest < Minitest::Test
  EXAMPLES = File.expand_path("../../../examples/ruby", __dir__)
  LIB = File.expand_path("../lib", __dir__)

  Dir[File.join(EXAMPLES, "*.rb")].sort.each do |script|
    define_method("test_#{File.basename(script, '.rb')}") do
      skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
      env = { "KAFKA_BROKER" => ENV["KFK_TEST_BROKERS"].split(",").first, "KAFKA_TOPIC" => "rbexample-#{SecureRandom.hex(6)}", "SECONDS" => "3" }
      out, err, status = Open3.capture3(env, "ruby", "-I#{LIB}", script)
      assert status.success?, "#{File.basename(script)} failed:\n#{err}"
      refute_empty out.strip
    end
  end
end
