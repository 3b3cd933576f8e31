import REPL
print("noether")
