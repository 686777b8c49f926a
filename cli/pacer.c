/* How many calls may be in flight. The library already honours each 429's Retry-After and backs
 * off per call; a call that still ends in 429 means the server wants fewer calls at once. The limit
 * is then halved (once per round: only a call started after the last cut can cut again, so the 64
 * calls that were in flight when 429s began count as one signal, not 64). Cuts that follow each other
 * with no success between them also pause new calls, for a moment that doubles each time (a server
 * refusing everything is not asked again at once, and after a few such cuts the run stops, to be run
 * again later). Each success adds 1/limit, so the limit climbs
 * back by one per round of successes, up to --concurrency: additive increase, multiplicative
 * decrease, as TCP does. */
#include "cli.h"

static const double first_hold = 0.25, longest_hold = 30.0;  /* seconds */
/* Cuts in a row with no success between them after which the run stops (the server is refusing
   everything: a quota used up, not a crowd): about four seconds of pauses, besides the library's
   own waits of Retry-After on every call. */
static const int give_up_streak = 5;

void pacer_init(struct pacer *p, int ceiling) {
    *p = (struct pacer){ceiling, ceiling, 0, 0, 0, 0.0, 0.0};
}

uint64_t pacer_start(struct pacer *p) {
    return ++p->tickets;
}

int pacer_rate_limited(struct pacer *p, uint64_t ticket, double now) {
    if (ticket <= p->cut) return 0;
    p->cut = p->tickets;
    p->limit = p->limit > 1 ? p->limit / 2 : 1;
    p->credit = 0;
    if (p->streak > 0) {
        double hold = first_hold;
        for (int i = 1; i < p->streak && hold < longest_hold; i++) hold *= 2;
        p->hold_until = now + (hold < longest_hold ? hold : longest_hold);
    }
    p->streak++;
    return 1;
}

void pacer_succeeded(struct pacer *p) {
    p->streak = 0;
    if (p->limit >= p->ceiling) return;
    p->credit += 1.0 / p->limit;
    if (p->credit >= 1.0) {
        p->credit -= 1.0;
        p->limit++;
    }
}

int pacer_may_start(const struct pacer *p, int in_flight, double now) {
    return in_flight < p->limit && now >= p->hold_until;
}

int pacer_gave_up(const struct pacer *p) {
    return p->streak >= give_up_streak;
}
