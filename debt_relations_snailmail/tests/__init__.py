from . import test_post_letters
