# frozen_string_literal: true

require "minitest/autorun"
require "json"
require "open3"
require_relative "../lib/kfk"

# The binding's structs and constants against include/kfk.h as the C
# compiler sees it (tests/abi/kfk_abi.py): a stale declaration corrupts
# memory without a word, so the header is the one source of truth.
class AbiTest < Minitest::Test
  PROBE = File.expand_path("../../../tests/abi/kfk_abi.py", __dir__)

  def self.abi
    @abi ||= begin
      out, err, status = Open3.capture3("python3", PROBE)
      raise "#{PROBE} failed: #{err}" unless status.success?

      JSON.parse(out)
    end
  end

  def abi = self.class.abi

  # Every FFI::Struct declared in Kfk::FFI, by the C typedef it mirrors:
  # TopicPartition is kfk_topic_partition_t.
  def declared_structs
    Kfk::FFI.constants.filter_map do |name|
      klass = Kfk::FFI.const_get(name)
      next unless klass.is_a?(Class) && klass < ::FFI::Struct

      ["kfk_#{name.to_s.gsub(/(?<!^)([A-Z])/, '_\1').downcase}_t", klass]
    end.to_h
  end

  # Every Integer constant declared in Kfk::FFI.
  def declared_constants
    Kfk::FFI.constants.filter_map do |name|
      value = Kfk::FFI.const_get(name)
      [name.to_s, value] if value.is_a?(Integer)
    end.to_h
  end

  def test_struct_layouts_match_the_header
    structs = declared_structs
    refute_empty structs
    structs.each do |c_name, klass|
      c = abi["structs"][c_name]
      refute_nil c, "#{klass} mirrors #{c_name}, which kfk.h does not declare"
      assert_equal c["size"], klass.size, "sizeof(#{c_name})"
      fields = klass.offsets.to_h { |name, offset| [name.to_s, offset] }
      assert_equal c["fields"], fields, "fields and offsets of #{c_name}"
    end
  end

  # A constant is KFK_<its name> of the header, with the header's value,
  # or a Kafka error code the library names as the constant is named.
  def test_constants_match_the_header
    constants = declared_constants
    refute_empty constants
    constants.each do |name, value|
      if abi["constants"].key?("KFK_#{name}")
        assert_equal abi["constants"]["KFK_#{name}"], value, "Kfk::FFI::#{name}"
      else
        assert_equal name, Kfk.error_name(value), "Kfk::FFI::#{name} is neither in kfk.h nor a Kafka error code"
      end
    end
  end

  # A code the library may return must have a name in the binding.
  def test_every_error_code_of_the_header_is_declared
    codes = abi["constants"].keys.grep(/\AKFK_ERR_/)
    refute_empty codes
    missing = codes.map { |c| c.delete_prefix("KFK_") }.reject { |c| declared_constants.key?(c) }
    assert_empty missing, "kfk.h codes the binding does not declare"
  end

  # Codes are raised by name, so the ABI check above covers them.
  def test_lib_raises_no_literal_error_code
    lib = File.expand_path("../lib", __dir__)
    literal = /Error(\.new\(|,)\s*-?\d/
    hits = Dir["#{lib}/**/*.rb"].flat_map do |file|
      File.readlines(file).each_with_index.filter_map { |line, i| "#{file}:#{i + 1}" if line.match?(literal) }
    end
    assert_empty hits
  end

  def test_version_matches_the_header
    v = abi["constants"].fetch("KFK_VERSION")
    assert_equal [v >> 16, (v >> 8) & 0xff, v & 0xff].join("."), Kfk::VERSION
  end
end
