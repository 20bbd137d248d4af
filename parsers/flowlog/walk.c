/* walk: the nesting between a record's flows container and its flowTuples,
 * shared by NSG (rule > mac) and VNet (aclID > rule).  Keys come in any
 * order: a child array met before its label is walked once the object ends. */
#include "decoder_int.h"

static void walk_array(struct rec_ctx *c, struct js *s, const struct walk_level *lv, int nlv);

static void walk_child(struct rec_ctx *c, struct js *s, const struct walk_level *lv, int nlv)
{
    if (nlv == 1)
        rec_tuples(c, s);
    else
        walk_array(c, s, lv + 1, nlv - 1);
}

static void walk_object(struct rec_ctx *c, struct js *s, const struct walk_level *lv, int nlv)
{
    const char **slot = (const char **)((char *)&c->t + lv->slot);
    const char *outer = *slot; /* the envelope's value (NSG mac) or NULL */
    const char *deferred = NULL;
    int labelled = 0;
    struct js_iter it;
    struct js_str key;

    js_obj_open(s, &it);
    while (!c->stop && js_obj_next(s, &it, &key) == 1) {
        if (!labelled && js_key_is(&key, lv->label_key) && js_peek(s) == '"') {
            struct js_str v;
            js_string(s, &v);
            *slot = lv->is_mac ? azf__keep_mac(c, &v) : rec_keep(c, &v);
            labelled = 1;
        } else if (js_key_is(&key, lv->child_key)) {
            if (labelled) {
                walk_child(c, s, lv, nlv);
            } else {
                deferred = s->p;
                js_skip(s);
            }
        } else {
            js_skip(s);
        }
    }
    if (deferred && !c->stop) {
        struct js sub = *s;
        sub.p = deferred;
        walk_child(c, &sub, lv, nlv);
    }
    *slot = outer;
}

static void walk_array(struct rec_ctx *c, struct js *s, const struct walk_level *lv, int nlv)
{
    struct js_iter it;
    if (js_peek(s) != '[') {
        rec_error(c, s->p, "%s is not an array", lv->name);
        js_skip(s);
        return;
    }
    js_arr_open(s, &it);
    while (!c->stop && js_arr_next(s, &it) == 1) {
        if (*s->p != '{') {
            rec_error(c, s->p, "%s entry is not an object", lv->name);
            js_skip(s);
            continue;
        }
        walk_object(c, s, lv, nlv);
    }
}

void azf__walk(struct rec_ctx *c, const char *at, const struct walk_level *lv, int nlv)
{
    struct js s;
    /* The first pass validated the record, so this walk cannot fail on syntax. */
    js_init(&s, c->base, c->len);
    s.p = at;
    walk_array(c, &s, lv, nlv);
}
