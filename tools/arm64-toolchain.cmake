# Cross-compiling pyneuron for AArch64 Linux with Debian's cross toolchain
# (crossbuild-essential-arm64); tools/test_arm64.sh passes the Python
# headers of the arm64 tree it runs the tests in.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
