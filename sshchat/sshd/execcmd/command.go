package execcmd

// Kind is which one-shot command was asked for. The zero Kind is not a
// command, so a zero Command is never mistaken for one.
type Kind int

// The one-shot commands.
const (
	Who     Kind = iota + 1 // list the people online
	Say                     // post one line
	Tail                    // print the last lines and keep streaming
	History                 // print the last lines and exit
	Help                    // print Usage
)

var kindNames = [...]string{Who: "who", Say: "say", Tail: "tail", History: "history", Help: "help"}

// String returns the command name, e.g. "tail", or "Kind(N)" for a value
// that is not a command.
func (k Kind) String() string {
	if k >= Who && k <= Help {
		return kindNames[k]
	}
	return "Kind(" + itoa(int(k)) + ")"
}

// Line counts of Tail and History.
const (
	DefaultTailLines    = 10
	DefaultHistoryLines = 50
	MaxLines            = 1000
)

// Command is a parsed one-shot command.
type Command struct {
	Kind Kind
	Room string // "" means the default room; otherwise a valid name such as "#dev", case as typed
	Text string // for Say: the words joined by single spaces (not sanitized)
	N    int    // lines for Tail/History (defaults: tail 10, history 50; max 1000); 0 otherwise
	JSON bool   // for Tail/History: one JSON object per line
	// SinceMarker (tail --since-marker): start after the last line this
	// key's bot marker says was shown, and keep the marker moving.
	SinceMarker bool
}
