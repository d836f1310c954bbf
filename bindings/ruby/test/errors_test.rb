# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require_relative "../lib/kfk"

# Error codes and the text the library hands out. No broker is needed.
class ErrorsTest < Minitest::Test
  LIB = File.expand_path("../lib", __dir__)
  UNKNOWN = [999, 32_767, -50, -99, -150, -(2**31)].freeze

  # The library names every code; Kfk.error_name and Kfk::Error say the
  # same, as UTF-8 text, known or not.
  def test_every_code_has_one_name
    Kfk::FFI.load!
    (UNKNOWN + [0, 3, -1, Kfk::FFI::ERR_CLOSED]).each do |code|
      name = Kfk.error_name(code)
      assert_equal Kfk::FFI.kfk_err_name(code), name, "code #{code}"
      assert_equal Encoding::UTF_8, name.encoding
      err = Kfk::Error.new(code)
      assert_equal name, err.name, "code #{code}"
      assert_equal code, err.code
      assert err.message.start_with?("#{name}: "), err.message
    end
  end

  # The binding's ERR_* constants are the codes the library names so.
  def test_error_constants_are_named_as_the_library_names_them
    Kfk::FFI.constants.grep(/\AERR_/).each do |c|
      assert_equal "KFK_#{c}", Kfk.error_name(Kfk::FFI.const_get(c))
    end
  end

  # An Error made before anything loaded the library still has its name.
  def test_error_before_the_library_is_loaded
    names = UNKNOWN.map { |code| Kfk.error_name(code) }
    script = "e = #{UNKNOWN.inspect}.map { |c| Kfk::Error.new(c) }; print e.map(&:name).join(',')"
    out, err, status = Open3.capture3({ "KFK_LIBRARY" => Kfk::FFI.library_path }, "ruby", "-I#{LIB}", "-rkfk", "-e", script)
    assert status.success?, err
    assert_equal names.join(","), out
  end

  # Text the library writes (here an option error naming the value) is
  # UTF-8, whatever bytes it holds.
  def test_library_text_is_utf8
    err = assert_raises(Kfk::Error) { Kfk::Client.new(brokers: "127.0.0.1:1", acks: "é") }
    assert_equal "KFK_ERR_CONFIG", err.name
    assert_equal Encoding::UTF_8, err.message.encoding
    assert_includes err.message, "acks=\"é\""
  end
end
