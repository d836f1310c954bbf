package main

/*
#include "kfk.h"
*/
import "C"

import "github.com/kfk-dev/kfk/core/client"

// Numbers core and kfk.h must agree on, checked when the library is built:
// a constant index other than 0 into a one-element array does not compile.
// (The structs' layouts are pinned in abi_layout.h.)
var (
	_ = [1]struct{}{}[int(client.TimestampNotAvailable)-C.KFK_TIMESTAMP_NOT_AVAILABLE]
	_ = [1]struct{}{}[int(client.TimestampCreateTime)-C.KFK_TIMESTAMP_CREATE_TIME]
	_ = [1]struct{}{}[int(client.TimestampLogAppendTime)-C.KFK_TIMESTAMP_LOG_APPEND_TIME]
	_ = [1]struct{}{}[client.OffsetLatest-C.KFK_OFFSET_LATEST]
	_ = [1]struct{}{}[client.OffsetEarliest-C.KFK_OFFSET_EARLIEST]
)
