// Package tree is the language-neutral shape of request results: maps,
// lists, integers, byte strings, booleans and null. It is what the C ABI
// hands to bindings (kfk_val_t), so that one generic conversion in each
// binding yields its native structures — the result structures EV::Kafka
// documents.
package tree

import "strconv"

// Kind is the type of a Value; the numbers are the C ABI's KFK_VAL_*.
type Kind uint8

const (
	Null Kind = 0
	Int  Kind = 1
	Str  Kind = 2
	List Kind = 3
	Map  Kind = 4
	Bool Kind = 5
	// Bytes is binary data (record keys, values); Str is text (names,
	// messages), so that bindings can give text and bytes their own types.
	Bytes Kind = 6
)

// Value is one node of a result tree.
type Value struct {
	Kind  Kind
	Int   int64   // Int, Bool (0 or 1)
	Bytes []byte  // Str, Bytes
	Items []Value // List items; Map: key, value, key, value...
}

// I makes an integer value.
func I[T ~int | ~int8 | ~int16 | ~int32 | ~int64](v T) Value { return Value{Kind: Int, Int: int64(v)} }

// S makes a string value.
func S(s string) Value { return Value{Kind: Str, Bytes: []byte(s)} }

// B makes a binary value; nil makes Null (Kafka's null).
func B(b []byte) Value {
	if b == nil {
		return Value{}
	}
	return Value{Kind: Bytes, Bytes: b}
}

// OptS makes a string value from a nullable string.
func OptS(s *string) Value {
	if s == nil {
		return Value{}
	}
	return S(*s)
}

// Flag makes a boolean value.
func Flag(b bool) Value {
	if b {
		return Value{Kind: Bool, Int: 1}
	}
	return Value{Kind: Bool}
}

// L makes a list value.
func L(items ...Value) Value { return Value{Kind: List, Items: items} }

// M makes a map from alternating string keys and values:
// M("topic", S("a"), "partition", I(0)).
func M(kv ...any) Value {
	items := make([]Value, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		items = append(items, S(kv[i].(string)), kv[i+1].(Value))
	}
	return Value{Kind: Map, Items: items}
}

// Ints makes a list of integers.
func Ints[T ~int32 | ~int64](vs []T) Value {
	items := make([]Value, len(vs))
	for i, v := range vs {
		items[i] = I(v)
	}
	return L(items...)
}

// Strs makes a list of strings.
func Strs(vs []string) Value {
	items := make([]Value, len(vs))
	for i, v := range vs {
		items[i] = S(v)
	}
	return L(items...)
}

// Get returns the value under key in a map, and whether it was there.
func (v Value) Get(key string) (Value, bool) {
	if v.Kind != Map {
		return Value{}, false
	}
	for i := 0; i+1 < len(v.Items); i += 2 {
		if string(v.Items[i].Bytes) == key {
			return v.Items[i+1], true
		}
	}
	return Value{}, false
}

// Path follows map keys and list indexes ("topics", "0", "partitions"...)
// and returns the value found, or Null. Meant for tests and debugging.
func (v Value) Path(keys ...string) Value {
	for _, k := range keys {
		switch v.Kind {
		case Map:
			v, _ = v.Get(k)
		case List:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(v.Items) {
				return Value{}
			}
			v = v.Items[i]
		default:
			return Value{}
		}
	}
	return v
}

// String renders the value compactly, for tests and debugging.
func (v Value) String() string {
	switch v.Kind {
	case Int:
		return strconv.FormatInt(v.Int, 10)
	case Bool:
		return strconv.FormatBool(v.Int != 0)
	case Str, Bytes:
		return strconv.Quote(string(v.Bytes))
	case List:
		s := "["
		for i, it := range v.Items {
			if i > 0 {
				s += ","
			}
			s += it.String()
		}
		return s + "]"
	case Map:
		s := "{"
		for i := 0; i+1 < len(v.Items); i += 2 {
			if i > 0 {
				s += ","
			}
			s += string(v.Items[i].Bytes) + ":" + v.Items[i+1].String()
		}
		return s + "}"
	}
	return "null"
}
