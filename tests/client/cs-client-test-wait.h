/* cs-client-test-wait.h: waiting on this thread's main context in the
 * client tests (the client library runs there; the server has its own
 * threads).  Header only: nothing to add to the build. */
#pragma once

#include <gio/gio.h>

#define CS_TEST_WAIT_SECONDS 30

static inline gboolean
cs_test_timed_out_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default main context until @cond holds; fails the
 * test after CS_TEST_WAIT_SECONDS. */
#define ITERATE_UNTIL(cond)                                                                   \
  G_STMT_START {                                                                              \
    gboolean timed_out_ = FALSE;                                                              \
    guint timeout_id_ = g_timeout_add_seconds (CS_TEST_WAIT_SECONDS, cs_test_timed_out_cb,    \
                                               &timed_out_);                                  \
    while (!(cond) && !timed_out_)                                                            \
      g_main_context_iteration (NULL, TRUE);                                                  \
    if (timed_out_)                                                                           \
      g_error ("timed out waiting for %s", #cond);                                            \
    g_source_remove (timeout_id_);                                                            \
  } G_STMT_END

/* Stores the result in the GAsyncResult * that @user_data points to. */
static inline void
cs_test_got_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

/* AWAIT (res, some_async (..., CB (res))): runs the call and waits for its result. */
#define CB(res) cs_test_got_result_cb, &(res)
#define AWAIT(res, call) \
  G_STMT_START { g_clear_object (&(res)); call; ITERATE_UNTIL ((res) != NULL); } G_STMT_END
