package kerr

import "errors"

// Codes the client acts on, by name; the table has every code's name and
// description. Numbers are Kafka's (see the protocol guide's error list).
const (
	OffsetOutOfRange          int16 = 1
	UnknownTopicOrPartition   int16 = 3
	LeaderNotAvailable        int16 = 5
	CoordinatorLoadInProgress int16 = 14
	CoordinatorNotAvailable   int16 = 15
	NotCoordinator            int16 = 16
	IllegalGeneration         int16 = 22
	UnknownMemberID           int16 = 25
	RebalanceInProgress       int16 = 27
	MemberIDRequired          int16 = 79
	FencedInstanceID          int16 = 82
)

// Is reports whether err wraps the Kafka error code.
func Is(err error, code int16) bool {
	var ke *Error
	return errors.As(err, &ke) && ke.Code == code
}
