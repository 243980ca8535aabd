"""The responses database connection a worker reuses never crosses a fork or a thread:
SQLite forbids carrying a connection into a forked child, and the development server
answers each request in a thread of its own."""
import os
import threading

from survey_app.context import ConnectionPerThread


def test_a_forked_worker_opens_its_own_connection_and_leaves_the_parents_working(db_path):
    connections = ConnectionPerThread(str(db_path), 1000)
    parent = connections.get()
    parent.execute("create table visits (n integer)")
    child_pid = os.fork()
    if child_pid == 0:  # the child reports through its exit status only
        child = connections.get()
        child.execute("insert into visits values (1)")
        connections.discard()
        os._exit(0 if child is not parent else 1)
    _, status = os.waitpid(child_pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert connections.get() is parent
    parent.execute("insert into visits values (2)")
    assert parent.execute("select count(*) from visits").fetchone()[0] == 2


def test_each_thread_has_its_own_connection(db_path):
    connections = ConnectionPerThread(str(db_path), 1000)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(connections.get()))
    thread.start()
    thread.join()
    assert seen[0] is not connections.get()
    assert connections.get() is connections.get()
