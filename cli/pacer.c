/* How many calls may be in flight. The library already honours each 429's Retry-After and backs
 * off per call; a call that still ends in 429 means the server wants fewer calls at once. The limit
 * is then halved (once per round: only a call started after the last cut can cut again, so the 64
 * calls that were in flight when 429s began count as one signal, not 64), and no call starts for a
 * moment that doubles while cuts follow each other. Each success adds 1/limit, so the limit climbs
 * back by one per round of successes, up to --concurrency: additive increase, multiplicative
 * decrease, as TCP does. */
#include "cli.h"

static const double first_hold = 0.5, longest_hold = 30.0;  /* seconds */

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
    double hold = first_hold;
    for (int i = 0; i < p->streak && hold < longest_hold; i++) hold *= 2;
    p->hold_until = now + (hold < longest_hold ? hold : longest_hold);
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
